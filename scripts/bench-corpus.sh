#!/usr/bin/env bash
# Benchmark (not a test): acceptance and speed of `warden lint` against cfn-lint 1.58.0, checkov
# and cfn-guard on the real-template corpus (tests/corpus, scripts/corpus-build.py), in one run.
# Every tool lints the templates in one process: warden through the warden-lint library
# (lint/examples/corpus.rs, release build: what `warden lint DIR` runs, without printing);
# cfn-lint with its default rules (`--format json`); checkov with its CloudFormation checks
# (`--framework cloudformation --output json --skip-download`); cfn-guard with
# bench/lint/rules.guard (the checks of scripts/bench-lint.sh; `--output-format json`).
# Prints a Markdown table: templates in the timed run, templates read and the share of the
# corpus, median wall time of RUNS runs and peak RSS (bench/lint/measure.py), each time divided
# by warden's.
#
# What each reads: warden, its own count; cfn-lint, the manifest (recorded with 1.58.0).
# cfn-guard and checkov stop a whole run at the first template they cannot handle, so each is
# first run to find the templates it gets through (bench/corpus/survivors.py: cfn-guard per
# template; checkov on chunks, halved until the stopping templates are found; not timed), then
# timed over those; checkov's read count also leaves out the templates it skips as unparsable.
#
#   scripts/bench-corpus.sh            # RUNS=3 by default
#
# Installs cfn-lint 1.58.0 with pip into a virtualenv (target/bench-corpus/venv) when missing.
# checkov and cfn-guard are used when installed, else skipped with a message: CHECKOV or
# CFN_GUARD (paths), else target/bench-corpus/checkov-venv/bin/checkov and
# target/bench-lint/{venv/bin/checkov,guard/bin/cfn-guard} (scripts/bench-lint.sh installs
# them there), else the PATH.
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
# The first executable among the arguments (empty arguments skipped), or nothing.
first_executable() {
  local candidate
  for candidate in "$@"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then
      echo "$candidate"
      return
    fi
  done
}
checkov=$(first_executable "${CHECKOV:-}" "$work/checkov-venv/bin/checkov" \
  "$(pwd)/target/bench-lint/venv/bin/checkov" "$(command -v checkov || true)")
guard=$(first_executable "${CFN_GUARD:-}" "$(pwd)/target/bench-lint/guard/bin/cfn-guard" \
  "$(command -v cfn-guard || true)")
[ -n "$checkov" ] || echo "checkov not found (set CHECKOV, or pip install checkov): skipped" >&2
[ -n "$guard" ] || echo "cfn-guard not found (set CFN_GUARD, or install cfn-guard): skipped" >&2

cargo build --release --locked -q -p warden-lint --example corpus
warden="$(pwd)/target/release/examples/corpus"
manifest=tests/corpus/manifest.json
mapfile -t files < <("$PYTHON" -c 'import json,sys; [print("tests/corpus/"+e["file"]) for e in json.load(open(sys.argv[1]))["templates"]]' "$manifest")
printf '%s\n' "${files[@]}" >"$work/files.txt"
total=${#files[@]}
parsed=$("$PYTHON" -c 'import json,sys; print(sum(e["cfn_lint_parses"] for e in json.load(open(sys.argv[1]))["templates"]))' "$manifest")
read_count=$("$warden" "$manifest" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["read"])')

# A field of survivors.py's JSON report: "read" (the list, one per line), "count", "errors".
survivors() { "$PYTHON" bench/corpus/survivors.py "$@"; }
field() {
  "$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); f=sys.argv[2]
print("\n".join(d["read"]) if f == "read" else len(d["read"]) if f == "count" else d["parsing_errors"])' "$1" "$2"
}
rules=bench/lint/rules.guard
if [ -n "$guard" ]; then
  survivors each "$work/files.txt" -- "$guard" validate -r "$rules" --show-summary none \
    --output-format json -d >"$work/guard.json"
  mapfile -t guard_files < <(field "$work/guard.json" read)
  guard_args=()
  for f in "${guard_files[@]}"; do guard_args+=(-d "$f"); done
fi
if [ -n "$checkov" ]; then
  checkov_cmd=("$checkov" --quiet --compact --skip-download --framework cloudformation --output json -f)
  survivors bisect "$work/files.txt" -- "${checkov_cmd[@]}" >"$work/checkov.json"
  mapfile -t checkov_files < <(field "$work/checkov.json" read)
fi

# "<median seconds> <peak RSS KiB>" of RUNS runs (exit codes ignored: linters exit non-zero on
# findings).
measure() { "$PYTHON" bench/lint/measure.py "$RUNS" "$@"; }
read -r wt wm < <(measure "$warden" "$manifest")
row() { # tool, templates timed, templates read, seconds, KiB
  awk -v tool="$1" -v n="$total" -v timed="$2" -v r="$3" -v t="$4" -v m="$5" -v w="$wt" 'BEGIN {
    printf "| %s | %d | %d | %.1f %% | %.3f | %.1f | %.1f× |\n", tool, timed, r, 100*r/n, t, m/1024, t/w }'
}
echo "corpus: $total templates; $RUNS run(s) per tool"
echo
echo "| tool | templates in the timed run | templates read | acceptance | median wall (s) | peak RSS (MiB) | time / warden |"
echo "|---|---:|---:|---:|---:|---:|---:|"
row "warden lint" "$total" "$read_count" "$wt" "$wm"
read -r t m < <(measure "$venv/bin/cfn-lint" --format json -- "${files[@]}")
row "cfn-lint $("$venv/bin/cfn-lint" --version | awk '{print $2}')" "$total" "$parsed" "$t" "$m"
if [ -n "$checkov" ]; then
  read -r t m < <(measure "${checkov_cmd[@]}" "${checkov_files[@]}")
  n=${#checkov_files[@]}
  row "checkov $("$checkov" --version)" "$n" "$((n - $(field "$work/checkov.json" errors)))" "$t" "$m"
fi
if [ -n "$guard" ]; then
  read -r t m < <(measure "$guard" validate -r "$rules" "${guard_args[@]}" --show-summary none --output-format json)
  row "$("$guard" --version)" "${#guard_files[@]}" "${#guard_files[@]}" "$t" "$m"
fi
