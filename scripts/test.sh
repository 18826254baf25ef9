#!/usr/bin/env bash
# Runs every test: unit, fixture, pipeline and end-to-end (real binaries, local Runtime API,
# moto's CloudFormation). Installs moto[server] when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${WARDEN_TEST_PYTHON:-python3}"
if ! "$PYTHON" -c 'import moto.server, flask' 2>/dev/null; then
  "$PYTHON" -m pip install --quiet --disable-pip-version-check 'moto[server]>=5.1,<6'
fi
# End-to-end tests drive the workspace binaries; build them first.
cargo build --locked --workspace --bins
cargo test --locked --workspace
