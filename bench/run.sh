#!/usr/bin/env bash
# Benchmark: hello-resource (cfn-warden) vs the same resource on crhelper + awslambdaric,
# measured in the same run against the same local Lambda Runtime API. Prints a Markdown table.
# Extra arguments go to warden-bench (--cold-runs N, --warm-invokes N).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/bench-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
cargo build --quiet --locked --release -p hello-resource -p warden-e2e --bins
WARDEN_BENCH_PYTHON="$PWD/$venv/bin/python" exec ./target/release/warden-bench "$@"
