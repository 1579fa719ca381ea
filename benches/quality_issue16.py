#!/usr/bin/env python3
"""ARI of spectral clustering, Genie, Gaussian mixtures and mean shift on Gagolewski's
benchmark suite, beside the references with the same parameters, in one run. Reads
../shared/datasets (not in the repo).

Spectral (k = the true k, 10 neighbours, k-means assignment) beside
`sklearn.cluster.SpectralClustering(affinity="nearest_neighbors", random_state=0)`.
Genie (k = the true k, gini 0.3) beside `genieclust.Genie`; GMM (full covariances, k-means
start, seed 42) beside `sklearn.mixture.GaussianMixture(random_state=42)`; mean shift
(estimated bandwidth, quantile 0.3, bin seeding) beside `sklearn.cluster.MeanShift` on
the sets of at most 10,000 rows. Score: ARI against labels0 with its noise rows (label 0)
left out; the best over labels0..n where a set has several reference partitions.

Usage: [ONLY=spectral|genie|gmm|meanshift] .venv/bin/python benches/quality_issue16.py [path/to/clusterscope]
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
from sklearn.metrics import adjusted_rand_score

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "datasets"
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/clusterscope/target")), "release", "clusterscope")


def ours(csv, args):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.csv")
        run = subprocess.run([BIN, "cluster", str(csv), "--out", out, "--backend", "cpu", *args],
                             capture_output=True, text=True)
        if run.returncode != 0:
            return None
        return np.loadtxt(out, delimiter=",", skiprows=1, usecols=-1).astype(int)


def score(truths, labels):
    if labels is None:
        # The run refused (e.g. no row within the bandwidth of any seed): a failure, 0.
        return 0.0
    best = -1.0
    for truth in truths:
        keep = truth != 0
        best = max(best, adjusted_rand_score(truth[keep], labels[keep]))
    return best


def main():
    import genieclust
    from sklearn.cluster import MeanShift, SpectralClustering, estimate_bandwidth
    from sklearn.mixture import GaussianMixture

    manifest = json.loads((DATA / "manifest.json").read_text())
    rows = []
    for entry in manifest["entries"]:
        if entry["group"] != "gagolewski":
            continue
        csv = DATA / entry["data_csv"]
        x = np.loadtxt(csv, delimiter=",", skiprows=1, ndmin=2)
        truths = [np.loadtxt(DATA / l["file_csv"], delimiter=",", skiprows=1, dtype=int)
                  for l in entry["labels"]]
        k = entry["labels"][0]["k"]
        result = {"set": entry["id"].removeprefix("gagolewski/"), "n": len(x), "k": k}
        only = os.environ.get("ONLY")
        wanted = lambda name: only in (None, name)
        if wanted("spectral"):
            result["spectral"] = score(truths, ours(csv, ["--algo", "spectral", "--k", str(k)]))
            reference = SpectralClustering(n_clusters=k, affinity="nearest_neighbors", n_neighbors=10,
                                           random_state=0)
            result["sk_spectral"] = score(truths, reference.fit_predict(x))
        if wanted("genie"):
            result["genie"] = score(truths, ours(csv, ["--algo", "genie", "--k", str(k)]))
            result["genieclust"] = score(truths, genieclust.Genie(n_clusters=k).fit_predict(x))
        if wanted("gmm"):
            result["gmm"] = score(truths, ours(csv, ["--algo", "gmm", "--k", str(k)]))
            try:
                result["sk_gmm"] = score(truths, GaussianMixture(k, random_state=42).fit_predict(x))
            except ValueError:
                result["sk_gmm"] = float("nan")
        if wanted("meanshift") and len(x) <= 10_000:
            result["meanshift"] = score(truths, ours(csv, ["--algo", "meanshift", "--bin-seeding"]))
            bandwidth = estimate_bandwidth(x, quantile=0.3)
            try:
                reference = MeanShift(bandwidth=bandwidth, bin_seeding=True).fit_predict(x)
                result["sk_meanshift"] = score(truths, reference)
            except ValueError:
                # "No point was within bandwidth of any seed": scored as a failure (0).
                result["sk_meanshift"] = 0.0
        rows.append(result)
        print(json.dumps(result), flush=True)
    for key in ["spectral", "sk_spectral", "genie", "genieclust", "gmm", "sk_gmm", "meanshift", "sk_meanshift"]:
        values = [r[key] for r in rows if key in r and not np.isnan(r[key])]
        if not values:
            continue
        print(f"mean ARI {key}: {np.mean(values):.3f} over {len(values)} sets")


if __name__ == "__main__":
    main()
