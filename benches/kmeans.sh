#!/usr/bin/env bash
# k-means time per Lloyd iteration: clusterscope (CPU, and GPU when an adapter exists)
# beside scikit-learn, on the two reference shapes. Prints the figures BENCHMARKS.md records.
# Usage: benches/kmeans.sh [--no-gpu]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/clusterscope/target}"
cargo build --release --locked --quiet
bin="$CARGO_TARGET_DIR/release/clusterscope"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
    .venv/bin/pip install --quiet scikit-learn numpy
fi
.venv/bin/python -c "import sklearn, numpy; print('scikit-learn', sklearn.__version__, 'numpy', numpy.__version__)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
for shape in "1000000 16 64" "200000 64 256"; do
    read -r n d k <<<"$shape"
    echo "== n=$n d=$d k=$k"
    .venv/bin/python benches/sklearn_kmeans.py "$n" "$d" "$k" 20
    "$bin" bench kmeans --n "$n" --d "$d" --k "$k" --iterations 20 --backend cpu
    if [ "${1:-}" != "--no-gpu" ]; then
        "$bin" bench kmeans --n "$n" --d "$d" --k "$k" --iterations 5 --backend gpu || true
    fi
done
