#!/usr/bin/env bash
# Builds Minga (installing its packages on a fresh Debian 12 machine) and
# runs every test: unit, property and multi-process integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cd build
ctest --output-on-failure -j "${MINGA_TEST_JOBS:-2}" --timeout 900 "$@"
