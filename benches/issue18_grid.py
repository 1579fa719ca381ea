#!/usr/bin/env python3
"""Issue 18 side by side, in one run:

1. CLIQUE on 10,000 rows (2-D blobs over 5 % uniform noise; 10 intervals, threshold 0.01)
   beside pyclustering's `clique` (its C++ core, and its pure-Python path): seconds and
   whether the full-space partitions agree.
2. DBSCAN on 100,000 2-D blobs (eps 0.3, min points 10): our whole `clusterscope cluster`
   command (the single-eps grid path) beside scikit-learn's `DBSCAN.fit`, and the ARI
   between the two labelings (1.0 = the same partition).
3. ARI of STING, WaveCluster and CLIQUE (defaults; CLIQUE with 20 intervals, threshold
   0.001, full-space labels) beside DBSCAN (min points 5, eps the 95th percentile of the
   5-NN distance) on Gagolewski's suite (../shared/datasets, not in the repo), the sets
   of at most 3 columns. Score: ARI against labels0 with its noise rows left out.

Usage: .venv/bin/python benches/issue18_grid.py [path/to/clusterscope]
(pip install numpy scikit-learn pyclustering)
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.cluster import DBSCAN
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score
from sklearn.neighbors import NearestNeighbors

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "datasets"
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/clusterscope/target")), "release", "clusterscope")


def ours(csv, args):
    """Labels, the run's elapsed_ms and the whole command's seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.csv")
        started = time.perf_counter()
        run = subprocess.run([BIN, "cluster", str(csv), "--out", out, "--backend", "cpu",
                              "--summary-json", *args], capture_output=True, text=True)
        wall = time.perf_counter() - started
        if run.returncode != 0:
            return None, None, wall
        summary = json.loads(run.stdout.strip().splitlines()[-1])
        labels = np.loadtxt(out, delimiter=",", skiprows=1, usecols=-1).astype(int)
        return labels, summary["elapsed_ms"], wall


def write_csv(path, x):
    np.savetxt(path, x, delimiter=",", header=",".join(f"x{j}" for j in range(x.shape[1])),
               comments="", fmt="%.9g")


def clique_side_by_side(tmp):
    from pyclustering.cluster.clique import clique

    rng = np.random.default_rng(18)
    blobs, _ = make_blobs(n_samples=9500, centers=5, cluster_std=0.6, random_state=18)
    x = np.vstack([blobs, rng.uniform(blobs.min(0), blobs.max(0), size=(500, 2))]).astype(np.float32)
    x = x.astype(np.float64)
    csv = os.path.join(tmp, "clique.csv")
    write_csv(csv, x)
    labels, elapsed, wall = ours(csv, ["--algo", "clique", "--intervals", "10", "--density-threshold", "0.01",
                                       "--subspace-labels", "full"])
    print(f"CLIQUE 10,000 x 2: ours {elapsed / 1e3:.4f} s (whole command {wall:.3f} s)")
    for ccore in [True, False]:
        started = time.perf_counter()
        model = clique(x.tolist(), 10, 100, ccore=ccore)
        model.process()
        seconds = time.perf_counter() - started
        theirs = np.full(len(x), -1)
        for c, members in enumerate(model.get_clusters()):
            theirs[members] = c
        same = adjusted_rand_score(theirs, labels) == 1.0
        print(f"  pyclustering ({'C++ core' if ccore else 'Python'}): {seconds:.4f} s, "
              f"{len(model.get_clusters())} clusters, same partition: {same}")


def dbscan_side_by_side(tmp):
    x, _ = make_blobs(n_samples=100_000, n_features=2, centers=10, cluster_std=0.5,
                      center_box=(-10, 10), random_state=42)
    x = x.astype(np.float32).astype(np.float64)
    csv = os.path.join(tmp, "dbscan.csv")
    write_csv(csv, x)
    labels, elapsed, wall = ours(csv, ["--algo", "dbscan", "--eps", "0.3", "--min-points", "10"])
    started = time.perf_counter()
    theirs = DBSCAN(eps=0.3, min_samples=10).fit(x).labels_
    seconds = time.perf_counter() - started
    print(f"DBSCAN 100,000 x 2, eps 0.3, min 10: ours {elapsed / 1e3:.4f} s (whole command {wall:.3f} s), "
          f"scikit-learn fit {seconds:.3f} s, ratio {seconds / wall:.1f}x on the whole command, "
          f"ARI between {adjusted_rand_score(theirs, labels):.6f}")


def score(truths, labels):
    if labels is None:
        return 0.0
    best = -1.0
    for truth in truths:
        keep = truth != 0
        best = max(best, adjusted_rand_score(truth[keep], labels[keep]))
    return best


def quality():
    manifest = json.loads((DATA / "manifest.json").read_text())
    methods = {
        "sting": ["--algo", "sting"],
        "wavecluster": ["--algo", "wavecluster"],
        "clique": ["--algo", "clique", "--intervals", "20", "--density-threshold", "0.001",
                   "--subspace-labels", "full"],
    }
    rows = []
    for entry in manifest["entries"]:
        if entry["group"] != "gagolewski":
            continue
        csv = DATA / entry["data_csv"]
        x = np.loadtxt(csv, delimiter=",", skiprows=1, ndmin=2)
        if x.shape[1] > 3:
            continue
        truths = [np.loadtxt(DATA / l["file_csv"], delimiter=",", skiprows=1, dtype=int)
                  for l in entry["labels"]]
        result = {"set": entry["id"].removeprefix("gagolewski/"), "n": len(x), "d": x.shape[1]}
        for name, args in methods.items():
            result[name] = score(truths, ours(csv, args)[0])
        kdist = NearestNeighbors(n_neighbors=5).fit(x).kneighbors(x)[0][:, -1]
        eps = float(np.quantile(kdist, 0.95))
        result["dbscan"] = score(truths, ours(csv, ["--algo", "dbscan", "--eps", repr(eps), "--min-points", "5"])[0])
        rows.append(result)
        print(json.dumps(result), flush=True)
    for key in [*methods, "dbscan"]:
        values = [r[key] for r in rows]
        print(f"mean ARI {key}: {np.mean(values):.3f} over {len(values)} sets "
              f"(median {np.median(values):.3f})")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        clique_side_by_side(tmp)
        dbscan_side_by_side(tmp)
    if os.environ.get("ONLY") != "speed":
        quality()


if __name__ == "__main__":
    main()
