#!/usr/bin/env python3
"""Reference timings for benches/kmedoids.sh: writes the data sets as .npy and times the
`kmedoids` package (FasterPAM with BUILD, the distance matrix included: scikit-learn's
pairwise_distances, as its documentation does).

Usage: kmedoids_reference.py OUTDIR
"""
import sys
import time

import numpy as np
from sklearn.datasets import make_blobs


def timed(label, work):
    started = time.perf_counter()
    result = work()
    print(f"{label}: {time.perf_counter() - started:.3f} s", flush=True)
    return result


def main():
    out = sys.argv[1]
    import kmedoids
    from importlib.metadata import version
    from sklearn.metrics import pairwise_distances

    print("kmedoids", version("kmedoids"), "numpy", np.__version__)
    x, _ = make_blobs(n_samples=20_000, n_features=8, centers=8, cluster_std=1.0, random_state=42)
    x = x.astype(np.float32)
    np.save(f"{out}/blobs_20k_8d.npy", x)
    x64 = x.astype(np.float64)
    for label, n_cpu in [("n_cpu=1 (sequential FasterPAM)", 1), ("n_cpu=-1 (parallel FasterPAM, the default)", -1)]:
        def job():
            diss = pairwise_distances(x64)
            return kmedoids.fasterpam(diss, 8, max_iter=100, init="build", n_cpu=n_cpu, random_state=42)

        result = timed(f"kmedoids.fasterpam k=8 init=build {label}, matrix included (20k x 8)", job)
        print(f"  loss {result.loss:.6e}")

    x, _ = make_blobs(n_samples=200_000, n_features=8, centers=8, cluster_std=1.0, random_state=42)
    np.save(f"{out}/blobs_200k_8d.npy", x.astype(np.float32))
    # pyclustering's CLARANS (pure Python) did not finish 200 rows in 5 minutes on this
    # machine, so it is not run; CLARANS is compared with CLARA and FasterPAM instead.
    sample = x[:20_000].astype(np.float64)
    result = timed(
        "kmedoids.fasterpam k=8 init=build n_cpu=1 on the first 20,000 rows of 200k x 8, matrix included",
        lambda: kmedoids.fasterpam(pairwise_distances(sample), 8, max_iter=100, init="build", n_cpu=1),
    )
    print(f"  loss on those rows {result.loss:.6e}")

if __name__ == "__main__":
    main()
