#!/usr/bin/env python3
"""k-means restarts and mini-batch k-means beside scikit-learn, in one run.

For each table of Gagolewski's suite named below (standardised features, the reference
partition's k, noise label 0 left out of the score), 20 seeds of:
  ours `cluster --algo kmeans` (default restarts)  vs  sklearn KMeans(n_init=10)
  ours `--n-init 1`                                vs  sklearn KMeans(n_init=1)
  ours `--algo minibatch-kmeans`                   vs  sklearn MiniBatchKMeans()
  ours `--n-init 1 --init kmeans-parallel`         vs  sklearn KMeans(n_init=1)
and prints the mean and minimum ARI of each. Run from the repository root after
`cargo build --release`:

    .venv/bin/python benches/kmeans_restarts.py [PATH_TO_BINARY]
"""
import json
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import StandardScaler

DATA = pathlib.Path("../shared/datasets/gagolewski")
TABLES = ["uci/ionosphere", "uci/sonar", "uci/ecoli", "uci/glass", "uci/yeast", "sipu/s1", "fcps/hepta"]
SEEDS = range(20)
TARGET = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/release/clusterscope")


def ours(path, k, seed, extra, out):
    subprocess.run(
        [str(TARGET), "cluster", str(path), "--k", str(k), "--seed", str(seed), "--backend", "cpu",
         "--scale", "standard", "--out", str(out)] + extra,
        check=True, capture_output=True)
    import csv
    with open(out) as f:
        return np.array([int(r["cluster"]) for r in csv.DictReader(f)])


def main():
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in TABLES:
            x = np.loadtxt(DATA / f"{name}.data.gz", ndmin=2)
            truth = np.loadtxt(DATA / f"{name}.labels0.gz", dtype=int)
            kept = truth > 0
            k = len(np.unique(truth[kept]))
            path = pathlib.Path(tmp) / "t.csv"
            np.savetxt(path, x, delimiter=",", header=",".join(f"x{i}" for i in range(x.shape[1])), comments="")
            out = pathlib.Path(tmp) / "o.csv"
            xs = StandardScaler().fit_transform(x.astype(np.float32).astype(np.float64))
            result = {"table": name, "n": len(x), "k": k}
            for label, extra, ref in [
                ("default", [], lambda s: KMeans(k, n_init=10, random_state=s)),
                ("n_init=1", ["--n-init", "1"], lambda s: KMeans(k, n_init=1, random_state=s)),
                ("minibatch", ["--algo", "minibatch-kmeans"], lambda s: MiniBatchKMeans(k, random_state=s, n_init=1)),
                # k-means|| seeding, one restart, beside scikit-learn's single k-means++ run.
                ("parallel", ["--n-init", "1", "--init", "kmeans-parallel"], lambda s: KMeans(k, n_init=1, random_state=s)),
            ]:
                a = [adjusted_rand_score(truth[kept], ours(path, k, s, extra, out)[kept]) for s in SEEDS]
                b = [adjusted_rand_score(truth[kept], ref(s).fit_predict(xs)[kept]) for s in SEEDS]
                result[label] = {"ours_mean": np.mean(a), "ours_min": np.min(a),
                                 "sklearn_mean": np.mean(b), "sklearn_min": np.min(b)}
            rows.append(result)
            print(json.dumps(result, default=float), flush=True)
    print("\n| table | n | k | ours default | sklearn n_init=10 | ours n_init=1 | sklearn n_init=1 | ours mini-batch | sklearn MiniBatchKMeans | ours k-means|| n_init=1 | sklearn n_init=1 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        cells = [f"{r[l]['ours_mean']:.3f} (min {r[l]['ours_min']:.3f}) | {r[l]['sklearn_mean']:.3f} (min {r[l]['sklearn_min']:.3f})"
                 for l in ["default", "n_init=1", "minibatch", "parallel"]]
        print(f"| {r['table']} | {r['n']} | {r['k']} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
