#!/usr/bin/env bash
# Runs every test: unit, fixture, pipeline and end-to-end (real binaries, local Runtime API,
# moto's CloudFormation). Installs moto[server] when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-moto.sh
# End-to-end tests drive the workspace binaries; build them first.
cargo build --locked --workspace --bins
cargo test --locked --workspace
