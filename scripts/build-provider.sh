#!/usr/bin/env bash
# Builds the warden-provider Lambda for provided.al2023 on arm64 as a deployable zip:
#   target/lambda/warden-provider/bootstrap.zip
# with `cargo lambda build --release --arm64 --output-format zip` (cargo-lambda and its zig
# toolchain come from pip; the arm64 Rust target from rustup). Works on a fresh machine.
# Prints the zip's size and SHA-256; upload it and pass its S3 location to cfn/provider.yaml
# (CodeBucket, CodeKey).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${WARDEN_TEST_PYTHON:-python3}"
if ! command -v cargo-lambda >/dev/null 2>&1; then
  "$PYTHON" -m pip install --quiet --disable-pip-version-check 'cargo-lambda>=1.8,<2'
fi
if ! grep -qx aarch64-unknown-linux-gnu <<<"$(rustup target list --installed)"; then
  rustup target add aarch64-unknown-linux-gnu
fi
cargo lambda build --release --arm64 --output-format zip --locked \
  -p warden-resources --bin warden-provider
zip="target/lambda/warden-provider/bootstrap.zip"
test -s "$zip"
bytes=$(stat -c %s "$zip")
sha=$(sha256sum "$zip" | cut -d' ' -f1)
echo "built $zip: $bytes bytes ($((bytes / 1024)) KiB), sha256 $sha"
