#!/usr/bin/env bash
# Runs every test: unit, fixture, pipeline and end-to-end (real binaries, local Runtime API,
# moto's CloudFormation, pypiserver). Installs moto[server], pypiserver and the test wheels
# when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-moto.sh
# pypiserver and the real wheels the layer-build tests serve from it.
source scripts/fetch-test-wheels.sh
# End-to-end tests drive the workspace binaries; build them first.
cargo build --locked --workspace --bins
cargo test --locked --workspace
# A user's resource outside the workspace (tests/user-crate): in process, on moto in ticket mode
# and as a binary, with nothing but the published kit. Same target directory: shared builds.
CARGO_TARGET_DIR="$PWD/target" cargo test --locked --manifest-path tests/user-crate/Cargo.toml
