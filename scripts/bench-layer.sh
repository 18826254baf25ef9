#!/usr/bin/env bash
# Benchmark (not a test): `warden build-layer` against `uv pip install --target` + zip and
# `pip install --target` + zip, for the same requirements, the same target (python3.12 arm64)
# and the same local index, with a cold and a warm cache, on two index servers: pypiserver
# threaded (paste) and pypiserver's default single-threaded server (wsgiref: one connection at
# a time, closed after each answer, a listen backlog of 5), what many teams run internally.
# Prints a Markdown table: median wall time of RUNS runs, peak RSS, and the ratios to warden
# measured in this run.
#
#   scripts/bench-layer.sh                          # RUNS=3, both servers, warden uv pip
#   RUNS=5 SERVERS=wsgiref TOOLS="warden uv" scripts/bench-layer.sh
#
# Needs: python3 with pip (installs uv, pypiserver and paste), /usr/bin/time, zip. pip downloads the
# wheels from whatever index pip is configured with on this machine; nothing here names one.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-3}"
PYTHON="${PYTHON:-python3}"
work="${BENCH_DIR:-$(pwd)/target/bench-layer}"
mkdir -p "$work"

"$PYTHON" -m pip install --quiet --disable-pip-version-check 'uv>=0.5' 'pypiserver>=2.3,<3' 'paste>=3'
command -v zip >/dev/null || { echo "zip is needed (apt-get install zip)"; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed (apt-get install time)"; exit 2; }

cargo build --release --locked -q -p warden-cli
warden="$(pwd)/target/release/warden"

sets=("requests pydantic" "boto3" "pandas numpy")
platforms=(--platform manylinux_2_34_aarch64 --platform manylinux_2_28_aarch64
  --platform manylinux_2_17_aarch64 --platform manylinux2014_aarch64)
index_dir="$work/index"
if [ ! -f "$index_dir/.complete" ]; then
  mkdir -p "$index_dir"
  for set in "${sets[@]}"; do
    # shellcheck disable=SC2086
    "$PYTHON" -m pip download --quiet --disable-pip-version-check --only-binary=:all: \
      "${platforms[@]}" --python-version 3.12 -d "$index_dir" $set
  done
  touch "$index_dir/.complete"
fi

SERVERS="${SERVERS:-paste wsgiref}"
TOOLS="${TOOLS:-warden uv pip}"
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null || true' EXIT

# start_server KIND: serves the wheels with pypiserver's KIND server; sets $index.
start_server() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  local port
  port="$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  "$PYTHON" -m pypiserver run --server "$1" -i 127.0.0.1 -p "$port" --disable-fallback \
    "$index_dir" >"$work/pypiserver-$1.log" 2>&1 &
  server=$!
  index="http://127.0.0.1:$port/simple/"
  for _ in $(seq 1 100); do
    curl -sf "$index" >/dev/null && return
    sleep 0.1
  done
  echo "pypiserver ($1) did not start: see $work/pypiserver-$1.log" >&2
  exit 2
}

# measure NAME CACHE_DIR COMMAND...: prints "seconds kib" of one run.
measure() {
  /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >/dev/null 2>"$work/last.err" || {
    cat "$work/last.err" >&2
    exit 1
  }
  cat "$work/time.txt"
}

run_tool() { # tool set cache
  local tool="$1" set="$2" cache="$3" out="$work/out"
  rm -rf "$out" && mkdir -p "$out"
  case "$tool" in
    warden)
      # shellcheck disable=SC2086
      measure "$warden" build-layer $set --runtime python3.12 --arch arm64 \
        --index-url "$index" --cache-dir "$cache" -o "$out/layer.zip"
      ;;
    uv)
      # shellcheck disable=SC2086
      measure bash -c "uv pip install --quiet --no-progress --target '$out/python' \
        --python-platform aarch64-manylinux_2_34 --python-version 3.12 --index-url '$index' \
        --cache-dir '$cache' $set && cd '$out' && zip -qrX layer.zip python"
      ;;
    pip)
      # shellcheck disable=SC2086
      measure bash -c "'$PYTHON' -m pip install --quiet --disable-pip-version-check --no-compile \
        --target '$out/python' ${platforms[*]} --python-version 3.12 --only-binary=:all: \
        --index-url '$index' --cache-dir '$cache' $set && cd '$out' && zip -qrX layer.zip python"
      ;;
  esac
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.1f×", a / b; else print "n/a" }'; }
echo "| server | requirements | cache | warden s | uv s | pip s | uv/warden | pip/warden | warden RSS MiB | uv RSS MiB | pip RSS MiB |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for kind in $SERVERS; do
start_server "$kind"
for set in "${sets[@]}"; do
  for mode in cold warm; do
    declare -A secs rss
    for tool in $TOOLS; do
      times=()
      peak=0
      for _ in $(seq 1 "$RUNS"); do
        cache="$work/cache-$kind-$tool"
        if [ "$mode" = cold ]; then rm -rf "$cache"; fi
        mkdir -p "$cache"
        if [ "$mode" = warm ] && [ -z "$(ls -A "$cache")" ]; then run_tool "$tool" "$set" "$cache" >/dev/null; fi
        read -r s k < <(run_tool "$tool" "$set" "$cache")
        times+=("$s")
        [ "$k" -gt "$peak" ] && peak="$k"
      done
      secs[$tool]="$(printf '%s\n' "${times[@]}" | median)"
      rss[$tool]="$((peak / 1024))"
    done
    echo "| $kind | $set | $mode | ${secs[warden]:-} | ${secs[uv]:-} | ${secs[pip]:-} | $(ratio "${secs[uv]:-}" "${secs[warden]:-}") | $(ratio "${secs[pip]:-}" "${secs[warden]:-}") | ${rss[warden]:-} | ${rss[uv]:-} | ${rss[pip]:-} |"
    unset secs rss
  done
done
done
