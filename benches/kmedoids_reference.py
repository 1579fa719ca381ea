#!/usr/bin/env python3
"""Reference timings for benches/kmedoids.sh: writes the data sets as .npy and times the
`kmedoids` package (FasterPAM with BUILD, the distance matrix included: scikit-learn's
pairwise_distances, as its documentation does) and pyclustering's CLARANS where it can
finish.

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
    try:
        from pyclustering.cluster.clarans import clarans
    except ImportError:
        return
    # pyclustering's CLARANS is pure Python: on 2,000 rows it runs past 10 minutes here, so
    # 500 rows, num_local 2, max_neighbor 250 (clusterscope runs the same shape beside it).
    small = x[:500].astype(np.float64)
    np.save(f"{out}/blobs_500_8d.npy", small.astype(np.float32))
    instance = clarans(small.tolist(), 8, 2, 250)
    timed("pyclustering clarans k=8 numlocal=2 maxneighbor=250 (first 500 rows of 200k x 8)", instance.process)


if __name__ == "__main__":
    main()
