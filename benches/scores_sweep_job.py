#!/usr/bin/env python3
"""The whole k-means job, the silhouette and a k sweep, beside scikit-learn, in one run.

1. Whole k-means job on 10^6 x 16 (64 Gaussian blobs, float32 .npy), k = 64: read, seed,
   20 Lloyd iterations (tol 0), write the labelled table as CSV. Ours: `clusterscope
   cluster` with k-means++ and with k-means|| (--init kmeans-parallel), CPU backend;
   scikit-learn: np.load, KMeans(n_init=1, max_iter=20, tol=0), DataFrame.to_csv.
2. Exact silhouette on 50,000 x 8 with 8 clusters: `clusterscope score --backend cpu`
   (reads the CSV too) beside sklearn.metrics.silhouette_score; the values must agree.
3. k = 2..20 sweep on 10^6 x 16 (--sweep-rows to change), one seed, one restart:
   `clusterscope sweep` (silhouette estimated from 2,000 rows, each against every row;
   Davies-Bouldin, Calinski-Harabasz) beside the loop a scikit-learn user writes
   (KMeans(n_init=1), silhouette_score(sample_size=2000), which scores the 2,000 rows
   against each other only: 2,000^2 distances where ours takes 2,000 x n).

Run from the repository root after `cargo build --release`:
    .venv/bin/python benches/scores_sweep_job.py [--binary PATH] [--skip-sweep] [--sweep-rows N]
"""
import argparse
import json
import os
import pathlib
import subprocess
import tempfile
import time

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score


def blobs(n, d, k, seed):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, (k, d))
    labels = rng.integers(0, k, n)
    return (centres[labels] + rng.normal(0, 1.0, (n, d))).astype(np.float32), labels


def timed(command):
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def whole_job(binary, tmp):
    x, _ = blobs(1_000_000, 16, 64, 1)
    path = tmp / "job.npy"
    np.save(path, x)
    out = tmp / "job_out.csv"
    ours = {}
    for init in ["kmeans++", "kmeans-parallel"]:
        ours[init] = timed([binary, "cluster", str(path), "--algo", "kmeans", "--k", "64", "--max-iter", "20",
                            "--tol", "0", "--n-init", "1", "--init", init, "--backend", "cpu", "--out", str(out)])
    started = time.perf_counter()
    data = np.load(path)
    model = KMeans(64, n_init=1, max_iter=20, tol=0.0, algorithm="lloyd", random_state=0).fit(data)
    frame = pd.DataFrame(data, columns=[f"column_{i}" for i in range(16)])
    frame["cluster"] = model.labels_
    frame.to_csv(out, index=False)
    sklearn = time.perf_counter() - started
    print(f"whole k-means job 1e6 x 16, k=64: ours k-means++ {ours['kmeans++']:.2f} s, "
          f"ours k-means|| {ours['kmeans-parallel']:.2f} s, scikit-learn {sklearn:.2f} s "
          f"(ratios {ours['kmeans++'] / sklearn:.2f}, {ours['kmeans-parallel'] / sklearn:.2f})")


def silhouette(binary, tmp):
    x, labels = blobs(50_000, 8, 8, 2)
    path = tmp / "sil.csv"
    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(8)])
    frame["cluster"] = labels
    frame.to_csv(path, index=False)
    started = time.perf_counter()
    result = subprocess.run([binary, "score", str(path), "--labels", "cluster", "--backend", "cpu", "--json"],
                            check=True, capture_output=True, text=True)
    ours_seconds = time.perf_counter() - started
    ours = json.loads(result.stdout)["silhouette"]
    read = pd.read_csv(path)
    started = time.perf_counter()
    reference = silhouette_score(read[[f"x{i}" for i in range(8)]].to_numpy(np.float64), read["cluster"].to_numpy())
    sklearn_seconds = time.perf_counter() - started
    print(f"silhouette 50,000 x 8: ours {ours_seconds:.2f} s (with reading the CSV), scikit-learn "
          f"{sklearn_seconds:.2f} s (ratio {ours_seconds / sklearn_seconds:.2f}); values {ours:.9f} vs "
          f"{reference:.9f} (relative {abs(ours - reference) / abs(reference):.1e})")


def sweep(binary, tmp, rows):
    x, _ = blobs(rows, 16, 10, 3)
    path = tmp / "sweep.npy"
    np.save(path, x)
    # One restart per value on both sides (ours would restart 10 times at k = 2, 3 here).
    ours = timed([binary, "sweep", str(path), "--algo", "kmeans", "--param", "k=2..20", "--seeds", "1",
                  "--n-init", "1", "--backend", "cpu", "--silhouette-sample", "2000", "--json"])
    started = time.perf_counter()
    data = np.load(path)
    for k in range(2, 21):
        labels = KMeans(k, n_init=1, random_state=0).fit_predict(data)
        silhouette_score(data, labels, sample_size=2000, random_state=0)
        davies_bouldin_score(data, labels)
        calinski_harabasz_score(data, labels)
    sklearn = time.perf_counter() - started
    print(f"k = 2..20 sweep on {rows} x 16: ours {ours:.1f} s, scikit-learn loop {sklearn:.1f} s "
          f"(ratio {ours / sklearn:.2f})")


def main():
    parser = argparse.ArgumentParser()
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    parser.add_argument("--binary", default=f"{target}/release/clusterscope")
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument("--sweep-rows", type=int, default=1_000_000)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        whole_job(args.binary, tmp)
        silhouette(args.binary, tmp)
        if not args.skip_sweep:
            sweep(args.binary, tmp, args.sweep_rows)


if __name__ == "__main__":
    main()
