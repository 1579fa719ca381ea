#!/usr/bin/env python3
"""ARI of every hierarchy/density algorithm on five Gagolewski benchmark sets, beside
scikit-learn with the same parameters. Reads ../shared/datasets (not in the repo).

Usage: .venv/bin/python benches/quality_density.py [path/to/clusterscope]
Noise counts as one more label on both sides (ground truth label 0 is noise).
"""
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.cluster import (DBSCAN, HDBSCAN, OPTICS, AgglomerativeClustering,
                             BisectingKMeans)
from sklearn.metrics import adjusted_rand_score
from sklearn.neighbors import NearestNeighbors

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "datasets" / "gagolewski"
SETS = ["wut/smile", "graves/ring_noisy", "other/hdbscan", "other/chameleon_t7_10k", "sipu/s1"]
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/clusterscope/target")), "release", "clusterscope")
MIN_SAMPLES = 5
MIN_CLUSTER_SIZE = 15
OPTICS_MIN_SAMPLES = 10


def ours(csv, args):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.csv")
        subprocess.run([BIN, "cluster", csv, "--out", out, "--backend", "cpu", *args], check=True,
                       stderr=subprocess.DEVNULL)
        return np.loadtxt(out, delimiter=",", skiprows=1, usecols=-1).astype(int)


def main():
    print(f"{'data set':24} {'algorithm':26} {'ours':>7} {'sklearn':>7}")
    for name in SETS:
        csv = str(DATA / f"{name}.csv")
        x = np.loadtxt(csv, delimiter=",", skiprows=1)
        truth = np.loadtxt(str(DATA / f"{name}.labels0.csv"), skiprows=1).astype(int)
        k = len(set(truth) - {0})
        kdist = NearestNeighbors(n_neighbors=MIN_SAMPLES).fit(x).kneighbors(x)[0][:, -1]
        eps = float(np.quantile(kdist, 0.95))
        cases = []
        for linkage in ["ward", "single", "average", "complete"]:
            cases.append((f"agglomerative {linkage} k={k}",
                          ["--algo", "agglomerative", "--linkage", linkage, "--k", str(k)],
                          lambda linkage=linkage: AgglomerativeClustering(n_clusters=k, linkage=linkage)))
        cases.append((f"divisive k={k}", ["--algo", "divisive", "--k", str(k), "--seed", "42"],
                      lambda: BisectingKMeans(n_clusters=k, random_state=42, bisecting_strategy="biggest_inertia")))
        cases.append((f"dbscan eps={eps:.3g} min={MIN_SAMPLES}",
                      ["--algo", "dbscan", "--eps", repr(eps), "--min-points", str(MIN_SAMPLES)],
                      lambda: DBSCAN(eps=eps, min_samples=MIN_SAMPLES)))
        # scikit-learn counts the point itself in min_samples, the hdbscan library (and we) do not.
        cases.append((f"hdbscan mcs={MIN_CLUSTER_SIZE}",
                      ["--algo", "hdbscan", "--min-cluster-size", str(MIN_CLUSTER_SIZE)],
                      lambda: HDBSCAN(min_cluster_size=MIN_CLUSTER_SIZE, min_samples=MIN_CLUSTER_SIZE + 1)))
        cases.append((f"optics min={OPTICS_MIN_SAMPLES} xi=0.05",
                      ["--algo", "optics", "--min-points", str(OPTICS_MIN_SAMPLES), "--xi", "0.05"],
                      lambda: OPTICS(min_samples=OPTICS_MIN_SAMPLES, xi=0.05)))
        for label, args, model in cases:
            started = time.perf_counter()
            try:
                a = adjusted_rand_score(truth, ours(csv, args))
            except subprocess.CalledProcessError:
                a = float("nan")
            ours_s = time.perf_counter() - started
            started = time.perf_counter()
            b = adjusted_rand_score(truth, model().fit(x).labels_)
            theirs_s = time.perf_counter() - started
            print(f"{name:24} {label:26} {a:7.4f} {b:7.4f}   ({ours_s:.2f} s vs {theirs_s:.2f} s)", flush=True)


if __name__ == "__main__":
    main()
