#!/usr/bin/env bash
# Benchmark (not a test): `warden lint` against cfn-guard (with bench/lint/rules.guard, the
# same checks), checkov and cfn-lint, every tool with JSON output (cfn-guard's default text
# report renders source context for each failure and is about 20x slower than its JSON) on generated 480- and 4000-resource templates
# (bench/lint/generate.py), in one run. Prints a Markdown table: median wall time of RUNS runs,
# peak RSS, and each peer's time divided by warden's, all measured in this run.
#
#   scripts/bench-lint.sh            # RUNS=5 by default
#
# Installs what is missing: cfn-guard with `cargo install` (into target/bench-lint/guard),
# checkov and cfn-lint with pip into a virtualenv (target/bench-lint/venv).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-5}"
PYTHON="${PYTHON:-python3}"
work="${BENCH_DIR:-$(pwd)/target/bench-lint}"
mkdir -p "$work"

guard="$work/guard/bin/cfn-guard"
[ -x "$guard" ] || cargo install --locked --quiet cfn-guard --root "$work/guard"
venv="$work/venv"
if [ ! -x "$venv/bin/checkov" ] || [ ! -x "$venv/bin/cfn-lint" ]; then
  "$PYTHON" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check checkov 'cfn-lint==1.58.0'
fi
cargo build --release --locked -q -p warden-cli
warden="$(pwd)/target/release/warden"

# "<median seconds> <peak RSS KiB>" of RUNS runs (bench/lint/measure.py: perf_counter and
# wait4; the tools exit non-zero when they find something, which they all do here).
measure() { "$PYTHON" bench/lint/measure.py "$RUNS" "$@"; }

echo "| template | tool | median wall (s) | peak RSS (MiB) | time / warden |"
echo "|---|---|---:|---:|---:|"
for n in 480 4000; do
  template="$work/template-$n.yaml"
  "$PYTHON" bench/lint/generate.py "$n" "$template"
  read -r wt wm < <(measure "$warden" lint --format json "$template")
  for tool in warden cfn-guard checkov cfn-lint; do
    case "$tool" in
      warden) t=$wt m=$wm ;;
      cfn-guard) read -r t m < <(measure "$guard" validate -r bench/lint/rules.guard -d "$template" --show-summary none --output-format json) ;;
      checkov) read -r t m < <(measure "$venv/bin/checkov" --quiet --compact --framework cloudformation --output json -f "$template") ;;
      cfn-lint) read -r t m < <(measure "$venv/bin/cfn-lint" --format json "$template") ;;
    esac
    awk -v n="$n" -v tool="$tool" -v t="$t" -v m="$m" -v w="$wt" 'BEGIN {
      ratio = sprintf("%.1f×", t / w);
      printf "| %s resources | %s | %.4f | %.1f | %s |\n", n, tool, t, m / 1024, ratio }'
  done
done
