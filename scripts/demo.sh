#!/usr/bin/env bash
# The main job: a local end-to-end demo of cfn-warden on its embedded default scenario.
# Builds the example provider binaries and runs them through a local Lambda Runtime API and a
# fake CloudFormation endpoint (loopback only), printing every answer and decision line.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --locked -p hello-resource -p faulty-resource -p warden-e2e --bins
exec ./target/debug/warden-demo
