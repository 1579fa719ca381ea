#!/usr/bin/env python3
"""Outlier detectors beside scikit-learn (and hdbscan's GLOSH), in one run.

- Speed: LOF (k = 20) on 100,000 x 8 and the isolation forest (100 trees, 256 rows each)
  on 1,000,000 x 8, Gaussian blobs plus 2 % uniform outliers:
  `clusterscope outliers --method lof|iforest` (the whole command: read the CSV, score,
  write the table; and the detector's own time) beside `LocalOutlierFactor.fit` and
  `IsolationForest.fit` + `score_samples` (no I/O).
- Quality: ROC-AUC of every detector on labelled anomaly tables built from the UCI sets of
  Gagolewski's suite in ../shared/datasets: the largest class as the inliers, the other
  classes' rows subsampled (seeded) to 5 % of the inliers as the anomalies, columns
  standardised. The references: scikit-learn's LocalOutlierFactor (k 20), the k-th
  neighbour distance (NearestNeighbors, k 10), IsolationForest, GaussianMixture
  (4 components, `-score_samples`), distance to the KMeans centre over the cluster's
  median (8 clusters), and hdbscan's GLOSH (`outlier_scores_`, min_cluster_size 10).

Run from the repository root after `cargo build --release`:
    .venv/bin/pip install numpy scikit-learn hdbscan
    .venv/bin/python benches/issue17_outliers.py [--binary PATH] [--only speed|quality]
        [--lof-rows 100000] [--forest-rows 1000000] [--backend cpu|gpu|auto]
"""
import argparse
import json
import pathlib
import subprocess
import tempfile
import time

import numpy as np

DATA = pathlib.Path(__file__).resolve().parent.parent.parent / "shared" / "datasets" / "gagolewski"
BACKEND = "cpu"


def blobs_with_outliers(n, d, seed):
    rng = np.random.default_rng(seed)
    inliers = int(n * 0.98)
    centres = rng.uniform(-10, 10, (8, d))
    x = centres[rng.integers(0, 8, inliers)] + rng.normal(0, 1.0, (inliers, d))
    x = np.vstack([x, rng.uniform(-15, 15, (n - inliers, d))]).astype(np.float32)
    return x[rng.permutation(n)]


def write_csv(x, path):
    header = ",".join(f"x{j}" for j in range(x.shape[1]))
    np.savetxt(path, x, delimiter=",", header=header, comments="", fmt="%.7g")


def ours(binary, csv, method, extra, out, scale="none"):
    started = time.perf_counter()
    run = subprocess.run(
        [binary, "outliers", str(csv), "--method", method, *extra, "--scale", scale,
         "--backend", BACKEND, "--out", str(out), "--summary-json"],
        check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    scores = np.genfromtxt(out, delimiter=",", skip_header=1, usecols=-2)
    return seconds, summary, scores


def speed(binary, lof_rows, forest_rows, work):
    from sklearn.ensemble import IsolationForest
    from sklearn.neighbors import LocalOutlierFactor

    x = blobs_with_outliers(lof_rows, 8, seed=3)
    csv, out = work / "lof.csv", work / "lof_out.csv"
    write_csv(x, csv)
    x = np.loadtxt(csv, delimiter=",", skiprows=1)
    seconds, summary, scores = ours(binary, csv, "lof", ["--k", "20"], out)
    started = time.perf_counter()
    reference = LocalOutlierFactor(n_neighbors=20).fit(x)
    theirs = time.perf_counter() - started
    worst = np.max(np.abs(scores + reference.negative_outlier_factor_) / -reference.negative_outlier_factor_)
    print(f"LOF {lof_rows} x 8, k 20: ours {seconds:.3f} s whole command "
          f"({summary['elapsed_ms'] / 1e3:.3f} s in the command, {summary['backend']}), "
          f"scikit-learn {theirs:.3f} s fit -> {theirs / seconds:.2f}x; "
          f"largest relative difference {worst:.2e}")

    x = blobs_with_outliers(forest_rows, 8, seed=4)
    csv, out = work / "forest.csv", work / "forest_out.csv"
    write_csv(x, csv)
    x = np.loadtxt(csv, delimiter=",", skiprows=1)
    truth = np.zeros(len(x), dtype=bool)
    seconds, summary, scores = ours(binary, csv, "iforest", [], out)
    started = time.perf_counter()
    forest = IsolationForest(n_estimators=100, max_samples=256, random_state=0).fit(x)
    reference = -forest.score_samples(x)
    theirs = time.perf_counter() - started
    agreement = np.corrcoef(scores, reference)[0, 1]
    print(f"isolation forest {forest_rows} x 8, 100 trees: ours {seconds:.3f} s whole command "
          f"({summary['elapsed_ms'] / 1e3:.3f} s in the command, {summary['backend']}), "
          f"scikit-learn {theirs:.3f} s fit + score_samples -> {theirs / seconds:.2f}x; "
          f"correlation of the scores {agreement:.4f}")
    del truth


def anomaly_table(name, seed):
    x = np.loadtxt(DATA / "uci" / f"{name}.csv", delimiter=",", skiprows=1)
    y = np.loadtxt(DATA / "uci" / f"{name}.labels0.csv", delimiter=",", skiprows=1).astype(int)
    classes, counts = np.unique(y, return_counts=True)
    inlier_class = classes[np.argmax(counts)]
    inliers = np.flatnonzero(y == inlier_class)
    others = np.flatnonzero(y != inlier_class)
    rng = np.random.default_rng(seed)
    wanted = max(3, int(round(0.05 * len(inliers))))
    anomalies = rng.choice(others, size=min(wanted, len(others)), replace=False)
    rows = np.concatenate([inliers, anomalies])
    truth = np.concatenate([np.zeros(len(inliers)), np.ones(len(anomalies))])
    x = x[rows]
    # Constant columns carry nothing and cannot be standardised.
    x = x[:, x.std(axis=0) > 0]
    return x.astype(np.float32).astype(np.float64), truth


def references(x):
    import hdbscan
    from sklearn.cluster import KMeans
    from sklearn.ensemble import IsolationForest
    from sklearn.mixture import GaussianMixture
    from sklearn.neighbors import LocalOutlierFactor, NearestNeighbors

    k_lof = min(20, len(x) - 1)
    out = {"lof": -LocalOutlierFactor(n_neighbors=k_lof).fit(x).negative_outlier_factor_}
    distances, _ = NearestNeighbors(n_neighbors=11).fit(x).kneighbors(x)
    out["knn"] = distances[:, 10]
    out["iforest"] = -IsolationForest(random_state=0).fit(x).score_samples(x)
    out["glosh"] = hdbscan.HDBSCAN(min_cluster_size=10).fit(x).outlier_scores_
    km = KMeans(n_clusters=8, n_init=10, random_state=0).fit(x)
    d = np.linalg.norm(x - km.cluster_centers_[km.labels_], axis=1)
    medians = np.array([np.median(d[km.labels_ == c]) for c in range(8)])
    out["centroid"] = d / np.where(medians > 0, medians, 1)[km.labels_]
    try:
        out["gmm"] = -GaussianMixture(4, random_state=0, reg_covar=1e-6).fit(x).score_samples(x)
    except ValueError:
        out["gmm"] = None
    return out


def quality(binary, work):
    from sklearn.metrics import roc_auc_score
    from sklearn.preprocessing import StandardScaler

    methods = [("lof", ["--k", "20"]), ("knn", ["--k", "10"]), ("iforest", []), ("glosh", ["--k", "10"]),
               ("centroid", ["--clusters", "8"]), ("gmm", ["--components", "4"])]
    print("| table | rows | anomalies | " + " | ".join(f"{m} ours / sklearn" for m, _ in methods) + " |")
    print("|---|---:|---:|" + "---|" * len(methods))
    sums = {m: [0.0, 0.0, 0] for m, _ in methods}
    for name in ["ecoli", "glass", "ionosphere", "sonar", "statlog", "yeast"]:
        x, truth = anomaly_table(name, seed=7)
        csv = work / f"{name}.csv"
        write_csv(x, csv)
        x = StandardScaler().fit_transform(np.loadtxt(csv, delimiter=",", skiprows=1))
        theirs = references(x)
        cells = []
        for method, extra in methods:
            try:
                _, _, scores = ours(binary, csv, method, extra, work / f"{name}_{method}.csv", scale="standard")
                a = roc_auc_score(truth, scores)
            except subprocess.CalledProcessError as error:
                a = None
                print(f"<!-- {name} {method}: {error.stderr.strip()} -->")
            b = roc_auc_score(truth, theirs[method]) if theirs[method] is not None else None
            cells.append(f"{a:.3f} / {b:.3f}" if a is not None and b is not None else f"{a} / {b}")
            if a is not None and b is not None:
                sums[method][0] += a
                sums[method][1] += b
                sums[method][2] += 1
        print(f"| {name} | {len(x)} | {int(truth.sum())} | " + " | ".join(cells) + " |")
    print("| **mean** | | | " + " | ".join(
        f"**{s[0] / s[2]:.3f} / {s[1] / s[2]:.3f}**" if s[2] else "-" for s in sums.values()) + " |")


def main():
    global BACKEND
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default="target/release/clusterscope")
    parser.add_argument("--lof-rows", type=int, default=100_000)
    parser.add_argument("--forest-rows", type=int, default=1_000_000)
    parser.add_argument("--backend", default="cpu")
    parser.add_argument("--only", choices=["speed", "quality"])
    args = parser.parse_args()
    BACKEND = args.backend
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        if args.only in (None, "speed"):
            speed(args.binary, args.lof_rows, args.forest_rows, work)
        if args.only in (None, "quality"):
            quality(args.binary, work)


if __name__ == "__main__":
    main()
