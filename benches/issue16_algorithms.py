#!/usr/bin/env python3
"""Spectral clustering, Genie, Gaussian mixtures and mean shift beside their references,
in one run.

- Spectral on 20,000 and 100,000 noisy 2-D moons (`make_moons(noise=0.1)`, a connected
  graph, and `noise=0.05`, two separate parts), k = 2, 10 neighbours:
  `clusterscope cluster --algo spectral` (whole command and the algorithm's own time)
  beside `SpectralClustering(affinity="nearest_neighbors")` (fit only, ARPACK), the ARI
  between the two.

- Genie on 100,000 x 2 (five Gaussian blobs of unequal sizes plus uniform noise), k = 5,
  gini threshold 0.3: `clusterscope bench run --algo genie` (the tree and Genie, timed
  in-process after reading the rows) beside `genieclust.Genie(5).fit` (tree and Genie, no
  I/O), medians of 7 interleaved runs; also the whole `clusterscope cluster` command (read
  the CSV, cluster, write the labels) and the ARI between the two labelings.
- GMM, full covariances, on 1,000,000 x 8, k = 16: the time per EM iteration, as the
  difference between runs of 4 and 12 iterations (tol 0) divided by 8, for
  `clusterscope cluster --algo gmm` and `sklearn.mixture.GaussianMixture`.
- Mean shift on 100,000 x 2 (the Genie data), bin seeding, the bandwidth that
  `estimate_bandwidth` gives on a 2,000-row sample, given to both:
  `clusterscope cluster --algo meanshift` (whole command) beside `sklearn.cluster.MeanShift`
  (fit only), and the ARI between the two.

Run from the repository root after `cargo build --release`:
    .venv/bin/pip install numpy scikit-learn genieclust
    .venv/bin/python benches/issue16_algorithms.py [--binary PATH] [--genie-rows 100000]
        [--gmm-rows 1000000] [--skip-gmm] [--only spectral|genie|meanshift|gmm] [--backend cpu|gpu]
"""
import argparse
import json
import pathlib
import subprocess
import tempfile
import time

import numpy as np


def blobs_with_noise(n, d, k, seed):
    rng = np.random.default_rng(seed)
    sizes = rng.dirichlet(np.ones(k) * 2) * n * 0.95
    sizes = np.maximum(sizes.astype(int), 10)
    centres = rng.uniform(-20, 20, (k, d))
    parts = [rng.normal(centres[i], rng.uniform(0.5, 2.0), (s, d)) for i, s in enumerate(sizes)]
    parts.append(rng.uniform(-25, 25, (n - sizes.sum(), d)))
    x = np.vstack(parts).astype(np.float32)
    return x[rng.permutation(len(x))]


def write_csv(x, path):
    header = ",".join(f"x{j}" for j in range(x.shape[1]))
    np.savetxt(path, x, delimiter=",", header=header, comments="", fmt="%.7g")


BACKEND = "cpu"


def ours(binary, args):
    started = time.perf_counter()
    run = subprocess.run([binary, "cluster", *args, "--backend", BACKEND, "--summary-json"],
                         check=True, capture_output=True, text=True)
    return time.perf_counter() - started, json.loads(run.stdout.strip().splitlines()[-1])


def labels_of(path):
    return np.loadtxt(path, delimiter=",", skiprows=1, usecols=-1)


def genie(binary, rows, work, repeats=7):
    import genieclust
    from sklearn.metrics import adjusted_rand_score

    x = blobs_with_noise(rows, 2, 5, seed=1)
    csv = work / "genie.csv"
    npy = work / "genie.npy"
    out = work / "genie_out.csv"
    write_csv(x, csv)
    x = np.loadtxt(csv, delimiter=",", skiprows=1)
    np.save(npy, x.astype(np.float32))
    # Median of `repeats` runs on each side, interleaved, so a slow spell of a shared
    # machine falls on both: the whole command, our algorithm alone (read the .npy, then
    # time the tree and Genie in-process, as `fit` times genieclust's), genieclust's fit.
    whole, alone, theirs = [], [], []
    for _ in range(repeats):
        seconds, _ = ours(binary, [str(csv), "--algo", "genie", "--k", "5", "--gini-threshold", "0.3",
                                   "--out", str(out)])
        whole.append(seconds)
        run = subprocess.run([binary, "bench", "run", "--algo", "genie", "--k", "5", "--gini-threshold", "0.3",
                              "--input", str(npy), "--backend", BACKEND],
                             check=True, capture_output=True, text=True)
        alone.append(float(run.stdout.split("seconds:")[-1].split()[0]))
        started = time.perf_counter()
        reference = genieclust.Genie(n_clusters=5, gini_threshold=0.3).fit(x)
        theirs.append(time.perf_counter() - started)
    whole, alone, theirs = (float(np.median(v)) for v in (whole, alone, theirs))
    ari = adjusted_rand_score(reference.labels_, labels_of(out))
    print(f"genie {rows} x 2, k 5 (medians of {repeats}): ours {alone:.3f} s (whole command {whole:.3f} s), "
          f"genieclust {theirs:.3f} s, ratio {alone / theirs:.2f} (whole command {whole / theirs:.2f}), "
          f"ARI ours vs genieclust {ari:.4f}")


def gmm(binary, rows, work):
    from sklearn.mixture import GaussianMixture

    x = blobs_with_noise(rows, 8, 16, seed=2)
    csv = work / "gmm.csv"
    out = work / "gmm_out.csv"
    write_csv(x, csv)
    x = np.loadtxt(csv, delimiter=",", skiprows=1, dtype=np.float32).astype(np.float64)
    times = {}
    for iterations in (4, 12):
        seconds, summary = ours(binary, [str(csv), "--algo", "gmm", "--k", "16", "--covariance", "full",
                                         "--max-iter", str(iterations), "--tol", "0", "--out", str(out)])
        started = time.perf_counter()
        GaussianMixture(16, covariance_type="full", max_iter=iterations, tol=0.0, random_state=0).fit(x)
        times[iterations] = (seconds, time.perf_counter() - started, summary["log_likelihood"])
    ours_iter = (times[12][0] - times[4][0]) / 8
    theirs_iter = (times[12][1] - times[4][1]) / 8
    print(f"gmm full {rows} x 8, k 16: per EM iteration ours {ours_iter:.3f} s, scikit-learn "
          f"{theirs_iter:.3f} s, ratio {ours_iter / theirs_iter:.2f}; whole 12-iteration job ours "
          f"{times[12][0]:.2f} s, scikit-learn {times[12][1]:.2f} s; ours log-likelihood {times[12][2]:.4f}")


def meanshift(binary, rows, work):
    from sklearn.cluster import MeanShift, estimate_bandwidth
    from sklearn.metrics import adjusted_rand_score

    x = blobs_with_noise(rows, 2, 5, seed=1)
    csv = work / "meanshift.csv"
    out = work / "meanshift_out.csv"
    write_csv(x, csv)
    x = np.loadtxt(csv, delimiter=",", skiprows=1)
    bandwidth = float(estimate_bandwidth(x, quantile=0.3, n_samples=2000, random_state=0))
    seconds, summary = ours(binary, [str(csv), "--algo", "meanshift", "--bandwidth", repr(bandwidth),
                                     "--bin-seeding", "--out", str(out)])
    started = time.perf_counter()
    reference = MeanShift(bandwidth=bandwidth, bin_seeding=True).fit(x)
    theirs = time.perf_counter() - started
    ari = adjusted_rand_score(reference.labels_, labels_of(out))
    print(f"meanshift {rows} x 2, bandwidth {bandwidth:.3f}, bin seeding: ours {seconds:.3f} s "
          f"(algorithm {summary['elapsed_ms'] / 1e3:.3f} s), scikit-learn {theirs:.3f} s, ratio "
          f"{seconds / theirs:.2f}, modes ours {summary['n_clusters']} vs {len(reference.cluster_centers_)}, "
          f"ARI {ari:.4f}")


def spectral(binary, work):
    from sklearn.cluster import SpectralClustering
    from sklearn.datasets import make_moons
    from sklearn.metrics import adjusted_rand_score

    for rows in (20_000, 100_000):
        for noise in (0.1, 0.05):
            x, _ = make_moons(rows, noise=noise, random_state=1)
            csv = work / "moons.csv"
            out = work / "moons_out.csv"
            write_csv(x.astype(np.float32), csv)
            x = np.loadtxt(csv, delimiter=",", skiprows=1)
            seconds, summary = ours(binary, [str(csv), "--algo", "spectral", "--k", "2",
                                             "--n-neighbors", "10", "--out", str(out)])
            started = time.perf_counter()
            reference = SpectralClustering(n_clusters=2, affinity="nearest_neighbors", n_neighbors=10,
                                           random_state=0).fit(x)
            theirs = time.perf_counter() - started
            ari = adjusted_rand_score(reference.labels_, labels_of(out))
            algorithm = summary["elapsed_ms"] / 1e3
            print(f"spectral {rows} x 2 moons noise {noise}, k 2: ours {seconds:.3f} s (algorithm "
                  f"{algorithm:.3f} s, backend {summary['backend']}), scikit-learn {theirs:.3f} s, "
                  f"ratio {theirs / algorithm:.2f}x faster (whole command {theirs / seconds:.2f}x), "
                  f"ARI ours vs scikit-learn {ari:.4f}")


def main():
    global BACKEND
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default="target/release/clusterscope")
    parser.add_argument("--genie-rows", type=int, default=100_000)
    parser.add_argument("--gmm-rows", type=int, default=1_000_000)
    parser.add_argument("--skip-gmm", action="store_true")
    parser.add_argument("--backend", default="cpu")
    parser.add_argument("--only", choices=["spectral", "genie", "meanshift", "gmm"])
    args = parser.parse_args()
    BACKEND = args.backend
    wanted = lambda name: args.only in (None, name)
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        if wanted("spectral"):
            spectral(args.binary, work)
        if wanted("genie"):
            genie(args.binary, args.genie_rows, work)
        if wanted("meanshift"):
            meanshift(args.binary, args.genie_rows, work)
        if wanted("gmm") and not args.skip_gmm:
            gmm(args.binary, args.gmm_rows, work)


if __name__ == "__main__":
    main()
