#!/usr/bin/env bash
# Installs what Minga needs to build (Debian 12 packages) when missing, then
# configures and builds everything into ./build with Ninja.
#   scripts/setup.sh            build all
#   scripts/setup.sh TARGET...  build only these targets
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(cmake ninja-build g++ pkg-config openssl
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev libabsl-dev libgtest-dev libgmock-dev libsodium-dev libssl-dev
  libxapian-dev libroaring-dev libzstd-dev)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then scripts/apt-install.sh "${missing[@]}"; fi

if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
# Two jobs: the gRPC-generated code is heavy and this fits 2 cores / 4 GiB+.
ninja -C build -j "${MINGA_BUILD_JOBS:-2}" "$@"
