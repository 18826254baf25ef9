#!/usr/bin/env bash
# Installs pypiserver and downloads the real wheels the layer-build tests serve from it on
# loopback (idempotent; sourced by test.sh and demo.sh). pip downloads from whatever index pip is
# configured with on this machine; nothing here names one.
#   - requests[socks] and its dependencies, pinned, for python3.12 on arm64 (a cross build);
#   - the same for this machine's own Python, so a test can import the built layer;
#   - cryptography 43.0.3 and 44.0.0 (whose Requires-Python excludes 3.9.0 and 3.9.1) with cffi
#     and pycparser, for python3.9 on x86_64: the runtime's Python must be a late patch release.
PYTHON="${WARDEN_TEST_PYTHON:-python3}"
WARDEN_TEST_WHEELS="${WARDEN_TEST_WHEELS:-$(pwd)/target/test-wheels}"
export WARDEN_TEST_WHEELS
if ! "$PYTHON" -c 'import pypiserver' 2>/dev/null; then
  "$PYTHON" -m pip install --quiet --disable-pip-version-check 'pypiserver>=2.3,<3'
fi
if [ ! -f "$WARDEN_TEST_WHEELS/.complete" ]; then
  mkdir -p "$WARDEN_TEST_WHEELS"
  pins=(requests==2.32.3 charset-normalizer==3.4.0 idna==3.10 urllib3==2.2.3 certifi==2024.8.30 PySocks==1.7.1)
  download() {
    "$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
      -d "$WARDEN_TEST_WHEELS" "$@" "${pins[@]}"
  }
  download --platform manylinux2014_aarch64 --python-version 3.12
  download
  touch "$WARDEN_TEST_WHEELS/.complete"
fi
if [ ! -f "$WARDEN_TEST_WHEELS/.complete-python39" ]; then
  # --python-version with a patch release: pip, too, would refuse cryptography 44 for "3.9"
  # (3.9.0). One pin per call: pip downloads one version of a package at a time.
  ok=1
  for pin in cryptography==43.0.3 cryptography==44.0.0 cffi==1.17.1 pycparser==2.22; do
    "$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
      -d "$WARDEN_TEST_WHEELS" --platform manylinux_2_17_x86_64 --python-version 3.9.23 "$pin" || ok=0
  done
  [ "$ok" = 1 ] && touch "$WARDEN_TEST_WHEELS/.complete-python39"
fi
