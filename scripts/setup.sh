#!/usr/bin/env bash
# Installs what Minga needs to build (Debian 12 packages) when missing, then
# configures and builds everything into ./build with Ninja.
#   scripts/setup.sh            build all
#   scripts/setup.sh TARGET...  build only these targets
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/apt-install.sh $(sed 's/#.*//' scripts/packages.txt)

if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
# Two jobs: the gRPC-generated code is heavy and this fits 2 cores / 4 GiB+.
ninja -C build -j "${MINGA_BUILD_JOBS:-2}" "$@"
