#!/usr/bin/env python3
"""scikit-learn's seconds per Lloyd iteration on the same shapes as `clusterscope bench kmeans`.

Uniform random data, the first k rows as initial centroids, tol=0, one init: the same
work per iteration as our bench. Usage: sklearn_kmeans.py N D K ITERATIONS
"""
import sys
import time

import numpy as np
from sklearn.cluster import KMeans


def main() -> None:
    n, d, k, iterations = (int(v) for v in sys.argv[1:5])
    rng = np.random.default_rng(42)
    x = rng.random((n, d), dtype=np.float32)
    model = KMeans(n_clusters=k, init=x[:k], n_init=1, max_iter=iterations, tol=0.0, algorithm="lloyd")
    model.fit(x)  # warm-up: thread pools, page faults
    started = time.perf_counter()
    model.fit(x)
    elapsed = time.perf_counter() - started
    print(f"sklearn n={n} d={d} k={k} iterations={model.n_iter_}")
    print(f"seconds per Lloyd iteration: {elapsed / model.n_iter_:.4f}")


if __name__ == "__main__":
    main()
