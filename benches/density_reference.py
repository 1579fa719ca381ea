#!/usr/bin/env python3
"""Reference timings for benches/density.sh: writes the data sets as .npy and times
scikit-learn DBSCAN, the hdbscan library, fastcluster and scipy on them.

Usage: density_reference.py OUTDIR [--sklearn-hdbscan]
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
    points, _ = make_blobs(n_samples=100_000, n_features=2, centers=10, cluster_std=0.5, center_box=(-10, 10), random_state=42)
    points = points.astype(np.float32)
    np.save(f"{out}/blobs_100k_2d.npy", points)
    x = points.astype(np.float64)
    from sklearn.cluster import DBSCAN
    labels = timed("scikit-learn DBSCAN eps=0.3 min_samples=5 (100k x 2)", lambda: DBSCAN(eps=0.3, min_samples=5).fit(x).labels_)
    print(f"  clusters {labels.max() + 1} noise {(labels < 0).sum()}")
    import hdbscan
    labels = timed("hdbscan library min_cluster_size=5 (100k x 2)", lambda: hdbscan.HDBSCAN(min_cluster_size=5).fit(x).labels_)
    print(f"  clusters {labels.max() + 1} noise {(labels < 0).sum()}")
    if "--sklearn-hdbscan" in sys.argv:
        from sklearn.cluster import HDBSCAN
        timed("scikit-learn HDBSCAN min_cluster_size=5 (100k x 2)", lambda: HDBSCAN(min_cluster_size=5).fit(x))

    tree_points, _ = make_blobs(n_samples=20_000, n_features=8, centers=10, cluster_std=0.5, center_box=(-10, 10), random_state=42)
    tree_points = tree_points.astype(np.float32)
    np.save(f"{out}/blobs_20k_8d.npy", tree_points)
    y = tree_points.astype(np.float64)
    import fastcluster
    timed("fastcluster linkage_vector ward (20k x 8)", lambda: fastcluster.linkage_vector(y, method="ward"))
    timed("fastcluster linkage_vector single (20k x 8)", lambda: fastcluster.linkage_vector(y, method="single"))
    from scipy.cluster.hierarchy import linkage
    timed("scipy linkage ward (20k x 8)", lambda: linkage(y, method="ward"))

    million, _ = make_blobs(n_samples=1_000_000, n_features=2, centers=10, cluster_std=0.5, center_box=(-10, 10), random_state=42)
    np.save(f"{out}/blobs_1m_2d.npy", million.astype(np.float32))


if __name__ == "__main__":
    main()
