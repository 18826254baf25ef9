#!/usr/bin/env bash
# Benchmark (not a test): acceptance and speed of `warden lint` against cfn-lint 1.58.0 on the
# real-template corpus (tests/corpus, scripts/corpus-build.py), in one run. warden lints every
# template in one process (the warden-lint library through lint/examples/corpus.rs, release
# build: what `warden lint DIR` runs, without printing); cfn-lint checks every template in one
# process (`cfn-lint --format json`, its default rules). Acceptance is the share of templates
# each reads (cfn-lint's from the manifest, recorded with 1.58.0). Prints a Markdown table and
# each time divided by warden's.
#
#   scripts/bench-corpus.sh            # RUNS=3 by default
#
# Installs cfn-lint 1.58.0 with pip into a virtualenv (target/bench-corpus/venv) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-3}"
PYTHON="${PYTHON:-python3}"
work="${BENCH_DIR:-$(pwd)/target/bench-corpus}"
mkdir -p "$work"
venv="$work/venv"
if [ ! -x "$venv/bin/cfn-lint" ]; then
  "$PYTHON" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'cfn-lint==1.58.0'
fi
cargo build --release --locked -q -p warden-lint --example corpus
warden="$(pwd)/target/release/examples/corpus"
manifest=tests/corpus/manifest.json
mapfile -t files < <("$PYTHON" -c 'import json,sys; [print("tests/corpus/"+e["file"]) for e in json.load(open(sys.argv[1]))["templates"]]' "$manifest")
total=${#files[@]}
parsed=$("$PYTHON" -c 'import json,sys; print(sum(e["cfn_lint_parses"] for e in json.load(open(sys.argv[1]))["templates"]))' "$manifest")

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
warden_times=() cfn_times=()
for _ in $(seq "$RUNS"); do
  out=$("$warden" "$manifest")
  warden_times+=("$(echo "$out" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["seconds"])')")
  start=$("$PYTHON" -c 'import time; print(time.perf_counter())')
  "$venv/bin/cfn-lint" --format json -- "${files[@]}" >/dev/null 2>&1 || true
  cfn_times+=("$("$PYTHON" -c "import time; print(time.perf_counter() - $start)")")
done
read_count=$(echo "$out" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["read"])')
wt=$(printf '%s\n' "${warden_times[@]}" | median)
ct=$(printf '%s\n' "${cfn_times[@]}" | median)
echo "corpus: $total templates"
echo
echo "| tool | templates read | acceptance | median wall, all templates (s) | time / warden |"
echo "|---|---:|---:|---:|---:|"
awk -v n="$total" -v r="$read_count" -v t="$wt" 'BEGIN { printf "| warden lint | %d | %.1f %% | %.3f | 1.0× |\n", r, 100*r/n, t }'
awk -v n="$total" -v r="$parsed" -v t="$ct" -v w="$wt" 'BEGIN { printf "| cfn-lint 1.58.0 | %d | %.1f %% | %.3f | %.0f× |\n", r, 100*r/n, t, t/w }'
