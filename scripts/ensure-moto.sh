#!/usr/bin/env bash
# Installs moto[server] (the local AWS emulator the tests and the demo use) when it is missing.
# Sourced by test.sh and demo.sh; WARDEN_TEST_PYTHON picks the interpreter.
PYTHON="${WARDEN_TEST_PYTHON:-python3}"
if ! "$PYTHON" -c 'import moto.server, flask' 2>/dev/null; then
  "$PYTHON" -m pip install --quiet --disable-pip-version-check 'moto[server]>=5.1,<6'
fi
