#!/usr/bin/env bash
# The main job: a local end-to-end demo of cfn-warden on its embedded default scenario.
# Builds the example provider binaries and runs them through a local Lambda Runtime API and a
# fake CloudFormation endpoint (loopback only), printing every answer and decision line; the
# ticket-mode part uses moto (installed when missing) and `warden seal`; the layer part
# `warden build-layer`, pypiserver and `warden-provider`.
set -euo pipefail
cd "$(dirname "$0")/.."
# The ticket-mode part of the demo runs against moto (STS, KMS, IAM) on loopback.
source scripts/ensure-moto.sh
# The layer part serves real wheels from a local pypiserver.
source scripts/fetch-test-wheels.sh
cargo build --quiet --locked -p hello-resource -p faulty-resource -p warden-cli -p warden-e2e \
  -p warden-resources --bins
exec ./target/debug/warden-demo
