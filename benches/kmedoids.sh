#!/usr/bin/env bash
# k-medoids family timings: clusterscope's FasterPAM (the n × n matrix included) beside the
# `kmedoids` package on 20,000 × 8, and CLARANS / CLARA on 200,000 × 8 beside FasterPAM on a
# 20,000-row part of it. Same points on both sides (written by kmedoids_reference.py).
# Prints the figures BENCHMARKS.md records.
# Usage: benches/kmedoids.sh [--gpu]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/clusterscope/target}"
cargo build --release --locked --quiet
bin="$CARGO_TARGET_DIR/release/clusterscope"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/pip install --quiet scikit-learn numpy kmedoids
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
data="$(mktemp -d)"
trap 'rm -rf "$data"' EXIT
.venv/bin/python benches/kmedoids_reference.py "$data"
backends=(cpu)
for arg in "$@"; do [ "$arg" = "--gpu" ] && backends=(cpu gpu); done
for backend in "${backends[@]}"; do
    echo "== clusterscope backend=$backend"
    "$bin" bench run --algo kmedoids --input "$data/blobs_20k_8d.npy" --k 8 --backend "$backend"
    "$bin" bench run --algo clarans --input "$data/blobs_200k_8d.npy" --k 8 --backend "$backend"
    "$bin" bench run --algo clara --input "$data/blobs_200k_8d.npy" --k 8 --backend "$backend"
done
