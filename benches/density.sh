#!/usr/bin/env bash
# Hierarchy and density timings: clusterscope's CPU backend (and the GPU when an adapter
# exists) beside scikit-learn, the hdbscan library, fastcluster and scipy on the same
# points (written by density_reference.py). Prints the figures BENCHMARKS.md records.
# Usage: benches/density.sh [--gpu] [--sklearn-hdbscan]
# (--gpu: the GPU passes scan all pairs; on a software adapter 100k points take hours.)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/clusterscope/target}"
cargo build --release --locked --quiet
bin="$CARGO_TARGET_DIR/release/clusterscope"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/pip install --quiet scikit-learn numpy scipy hdbscan fastcluster
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
data="$(mktemp -d)"
trap 'rm -rf "$data"' EXIT
extra=()
for arg in "$@"; do [ "$arg" = "--sklearn-hdbscan" ] && extra+=(--sklearn-hdbscan); done
.venv/bin/python benches/density_reference.py "$data" "${extra[@]}"
backends=(cpu)
for arg in "$@"; do [ "$arg" = "--gpu" ] && backends=(cpu gpu); done
for backend in "${backends[@]}"; do
    echo "== clusterscope backend=$backend"
    "$bin" bench dbscan --input "$data/blobs_100k_2d.npy" --eps 0.3 --min-points 5 --backend "$backend" || true
    "$bin" bench hdbscan --input "$data/blobs_100k_2d.npy" --min-cluster-size 5 --backend "$backend" || true
done
"$bin" bench agglomerative --input "$data/blobs_20k_8d.npy" --linkage ward --centers 10
"$bin" bench agglomerative --input "$data/blobs_20k_8d.npy" --linkage single --centers 10
"$bin" bench agglomerative --input "$data/blobs_1m_2d.npy" --linkage single --centers 10
