#!/usr/bin/env bash
# Short fuzz runs of every target (CI smoke). For long runs:
#   cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run <target> -- -max_total_time=3600
# cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP=1 lets the stable toolchain accept them.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${FUZZ_SECONDS:-20}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
mkdir -p corpus/event
# Seed the event corpus with the fixture events.
cp ../runtime/tests/fixtures/events/*.json ../runtime/tests/fixtures/sns/*.json corpus/event/ 2>/dev/null || true
mkdir -p corpus/template
# Seed the template corpus with the shipped templates, the lint fixtures and a sample of the
# real-template corpus (tests/corpus).
cp ../cfn/*.yaml ../cfn/examples/*.yaml corpus/template/
for f in ../cli/tests/fixtures/lint/*/*; do cp "$f" "corpus/template/$(basename "$(dirname "$f")")-$(basename "$f")"; done
# (No `find | head`: under pipefail, head closing the pipe early kills find with SIGPIPE, exit 141.)
mapfile -t corpus_templates < <(find ../tests/corpus -name "*.y*ml" | sort)
for f in "${corpus_templates[@]:0:100}"; do cp "$f" "corpus/template/corpus-$(echo "$f" | md5sum | cut -c1-12).yaml"; done
for target in event response_url response_budget signature canonical_json ticket continuation requirements build_settings index_page index_url wheel template lint_parameters decision_line iam_policy; do
  echo "fuzzing $target for ${seconds}s"
  cargo fuzz run "$target" -- -max_total_time="$seconds" -rss_limit_mb=2048 2>&1 | tail -n 3
done
