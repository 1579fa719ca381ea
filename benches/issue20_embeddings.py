#!/usr/bin/env python3
"""Embedding maps and the cosine k-NN graph beside their references, in one run.

- UMAP on a digits-like table of 70,000 x 784 (scikit-learn's 8 x 8 digits upsampled to
  28 x 28, each copy shifted, rotated, scaled and noised: MNIST's shape without a
  download): `clusterscope project --method umap` (the whole command: read the .npy,
  neighbours, graph, spectral start, 300 epochs, write the CSV) beside umap-learn's
  `UMAP().fit_transform` (its default parallel mode, no seed, on the array in memory).
- t-SNE on 20,000 rows of the same table: `clusterscope project --method tsne` beside
  scikit-learn's `TSNE` (Barnes-Hut, all cores) and openTSNE's `TSNE` (FFT, 2 threads).
- Trustworthiness (10 neighbours, `sklearn.manifold.trustworthiness`) of every map on the
  same 5,000 random rows.
- The cosine k-NN graph (k = 15) of 100,000 x 384 embedding-like rows, ours
  (`clusterscope bench knn`) beside pynndescent's NNDescent, and ours alone at
  1,000,000 x 384; recall on 200 rows checked by a full scan.

    .venv/bin/pip install numpy scipy scikit-learn umap-learn openTSNE
    .venv/bin/python benches/issue20_embeddings.py [--binary PATH] [--only umap|tsne|knn]
        [--umap-rows 70000] [--tsne-rows 20000] [--knn-rows 1000000]
"""
import argparse
import json
import pathlib
import subprocess
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent


def digits_like(rows, seed=0):
    """28 x 28 digits: scikit-learn's 8 x 8 images upsampled, each copy moved a little."""
    from scipy import ndimage
    from sklearn.datasets import load_digits

    digits = load_digits()
    base = np.stack([ndimage.zoom(img, 28 / 8, order=1) for img in digits.images])
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(base), rows)
    out = np.empty((rows, 784), dtype=np.float32)
    for i, p in enumerate(picks):
        img = ndimage.rotate(base[p], rng.uniform(-15, 15), reshape=False, order=1)
        img = ndimage.shift(img, rng.uniform(-2, 2, size=2), order=1)
        img = img * rng.uniform(0.8, 1.2) + rng.normal(0, 0.6, img.shape)
        out[i] = np.clip(img, 0, None).ravel() * (255 / 16)
    return out, digits.target[picks]


def run_ours(binary, args):
    started = time.perf_counter()
    done = subprocess.run([binary, *args], check=True, capture_output=True, text=True)
    return time.perf_counter() - started, done.stdout


def trust(x, mapped, rows):
    from sklearn.manifold import trustworthiness

    return trustworthiness(x[rows], mapped[rows], n_neighbors=10)


def umap_bench(binary, n, work):
    import umap

    x, _ = digits_like(n)
    path = work / "digits.npy"
    np.save(path, x)
    out = work / "umap.csv"
    seconds, summary = run_ours(binary, ["project", str(path), "--method", "umap", "--out", str(out), "--summary-json"])
    ours = np.loadtxt(out, delimiter=",", skiprows=1)
    started = time.perf_counter()
    theirs = umap.UMAP(n_neighbors=15, min_dist=0.1).fit_transform(x)
    reference = time.perf_counter() - started
    rows = np.random.default_rng(1).choice(n, 5000, replace=False)
    summary = json.loads(summary)
    print(f"umap {n} x 784: ours {seconds:.1f} s (neighbours exact: {summary['neighbours_exact']}), "
          f"umap-learn {reference:.1f} s, ratio {seconds / reference:.2f}; trustworthiness ours "
          f"{trust(x, ours, rows):.4f}, umap-learn {trust(x, theirs, rows):.4f}")


def tsne_bench(binary, n, work):
    from openTSNE import TSNE as OpenTSNE
    from sklearn.manifold import TSNE

    x, _ = digits_like(n, seed=2)
    path = work / "digits_tsne.npy"
    np.save(path, x)
    out = work / "tsne.csv"
    seconds, _ = run_ours(binary, ["project", str(path), "--method", "tsne", "--out", str(out), "--summary-json"])
    ours = np.loadtxt(out, delimiter=",", skiprows=1)
    started = time.perf_counter()
    sk = TSNE(perplexity=30, init="pca", random_state=42, n_jobs=-1).fit_transform(x)
    sk_seconds = time.perf_counter() - started
    started = time.perf_counter()
    ot = np.asarray(OpenTSNE(perplexity=30, n_jobs=2, random_state=42).fit(x))
    ot_seconds = time.perf_counter() - started
    rows = np.random.default_rng(3).choice(n, 5000, replace=False)
    print(f"tsne {n} x 784: ours {seconds:.1f} s, scikit-learn {sk_seconds:.1f} s "
          f"(ratio {seconds / sk_seconds:.2f}), openTSNE {ot_seconds:.1f} s (ratio {seconds / ot_seconds:.2f}); "
          f"trustworthiness ours {trust(x, ours, rows):.4f}, scikit-learn {trust(x, sk, rows):.4f}, "
          f"openTSNE {trust(x, ot, rows):.4f}")


def knn_bench(binary, n_large, work):
    from pynndescent import NNDescent

    n = 100_000
    out = subprocess.run([binary, "bench", "knn", "--n", str(n), "--d", "384", "--centers", "50", "--k", "15"],
                         check=True, capture_output=True, text=True).stdout.strip()
    print("ours:", out)
    # The same rows for pynndescent (the generator is ours: read them back from a file).
    path = work / "knn_rows.npy"
    rng = np.random.default_rng(42)
    centres = rng.normal(size=(50, 384)).astype(np.float32)
    x = centres[rng.integers(0, 50, n)] + 0.85 * rng.normal(size=(n, 384)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    np.save(path, x)
    NNDescent(x[:2000], metric="cosine", n_neighbors=16, n_jobs=-1)  # numba compiles here
    started = time.perf_counter()
    index = NNDescent(x, metric="cosine", n_neighbors=16, n_jobs=-1)
    indices, _ = index.neighbor_graph
    seconds = time.perf_counter() - started
    _, ours = run_ours(binary, ["bench", "knn", "--input", str(path), "--k", "15"])
    truth_rows = rng.choice(n, 200, replace=False)
    found = 0
    for row in truth_rows:
        d = 1 - x @ x[row]
        d[row] = np.inf
        truth = set(np.argpartition(d, 15)[:15])
        found += len(truth & set(indices[row][1:16]))
    print(f"knn 100000 x 384 (the same rows from a file): ours: {ours.strip()}; pynndescent "
          f"(second fit, its JIT compiled) {seconds:.1f} s, recall {found / (200 * 15):.4f}")
    out = subprocess.run([binary, "bench", "knn", "--n", str(n_large), "--d", "384", "--centers", "200", "--k", "15"],
                         check=True, capture_output=True, text=True).stdout.strip()
    print("ours:", out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=str(pathlib.Path.home() / ".cache/clusterscope/target/release/clusterscope"))
    parser.add_argument("--only", choices=["umap", "tsne", "knn"])
    parser.add_argument("--umap-rows", type=int, default=70_000)
    parser.add_argument("--tsne-rows", type=int, default=20_000)
    parser.add_argument("--knn-rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = pathlib.Path(folder)
        if args.only in (None, "umap"):
            umap_bench(args.binary, args.umap_rows, work)
        if args.only in (None, "tsne"):
            tsne_bench(args.binary, args.tsne_rows, work)
        if args.only in (None, "knn"):
            knn_bench(args.binary, args.knn_rows, work)


if __name__ == "__main__":
    main()
