#!/usr/bin/env python3
"""The whole pixel k-means job on a 4096 x 4096 RGB image beside scikit-learn, in one run.

Read a PNG, k-means on the RGB values (k = 8, k-means++ seeding, one init, 20 Lloyd
iterations, tol 0), write the label mask as a PNG. Ours: `clusterscope segment --algo
kmeans --backend cpu` (the d <= 4 kernel: points in the vector lanes); scikit-learn:
Pillow decode, `KMeans(8, n_init=1, max_iter=20, tol=0)`, Pillow encode of the mask. The
image is synthetic: 24 flat regions (random Voronoi cells) with Gaussian noise.

Run from the repository root after `cargo build --release`:
    .venv/bin/pip install numpy scikit-learn pillow
    .venv/bin/python benches/segment_job.py [--binary PATH] [--size 4096] [--repeats 2]
"""
import argparse
import os
import pathlib
import subprocess
import tempfile
import time

import numpy as np
from PIL import Image
from sklearn.cluster import KMeans


def regions_image(size, regions, noise, seed):
    rng = np.random.default_rng(seed)
    sites = rng.uniform(0, size, (regions, 2))
    colours = rng.uniform(0, 255, (regions, 3))
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    nearest = np.zeros((size, size), dtype=np.int32)
    best = np.full((size, size), np.inf, dtype=np.float32)
    for r, (sx, sy) in enumerate(sites):
        d = (xs - sx) ** 2 + (ys - sy) ** 2
        closer = d < best
        best[closer] = d[closer]
        nearest[closer] = r
    pixels = colours[nearest] + rng.normal(0, noise, (size, size, 3))
    return np.clip(pixels, 0, 255).astype(np.uint8)


def ours(binary, image, out):
    started = time.perf_counter()
    subprocess.run([binary, "segment", str(image), "--algo", "kmeans", "--k", "8", "--max-iter", "20",
                    "--tol", "0", "--backend", "cpu", "--out", str(out)], check=True, capture_output=True)
    return time.perf_counter() - started


def sklearn(image, out):
    started = time.perf_counter()
    pixels = np.asarray(Image.open(image).convert("RGB"), dtype=np.float32)
    height, width, _ = pixels.shape
    model = KMeans(8, n_init=1, max_iter=20, tol=0.0, algorithm="lloyd", random_state=0)
    labels = model.fit_predict(pixels.reshape(-1, 3))
    Image.fromarray(labels.reshape(height, width).astype(np.uint8)).save(out)
    return time.perf_counter() - started, model.n_iter_


def main():
    parser = argparse.ArgumentParser()
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    parser.add_argument("--binary", default=f"{target}/release/clusterscope")
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        image = tmp / "regions.png"
        Image.fromarray(regions_image(args.size, 24, 10.0, 5)).save(image)
        ours_runs, theirs_runs = [], []
        for _ in range(args.repeats):
            ours_runs.append(ours(args.binary, image, tmp / "ours.png"))
            seconds, iterations = sklearn(image, tmp / "theirs.png")
            theirs_runs.append(seconds)
        a, b = min(ours_runs), min(theirs_runs)
        print(f"whole pixel k-means job {args.size}x{args.size} RGB, k=8, 20 iterations (sklearn ran "
              f"{iterations}): ours {a:.2f} s, scikit-learn {b:.2f} s (ratio {a / b:.2f}; best of "
              f"{args.repeats}: ours {', '.join(f'{s:.2f}' for s in ours_runs)}; scikit-learn "
              f"{', '.join(f'{s:.2f}' for s in theirs_runs)})")


if __name__ == "__main__":
    main()
