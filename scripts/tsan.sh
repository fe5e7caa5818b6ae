#!/usr/bin/env bash
# ThreadSanitizer over the concurrent unit tests: the sync engine with its
# pullers, sessions and file fetcher against fake peer links, the catalog's
# parallel signature checks and writers over the in-memory store, and the
# search view's follower thread beside queries.
#
# Debian's Abseil is not built with ThreadSanitizer, so every absl::Mutex
# would be invisible to it; this builds Debian's own Abseil source (the same
# version as libabsl-dev, from `apt-get source abseil`, which needs deb-src
# lines in the apt sources) with it first, into build-tsan/absl, once. The
# node processes and the tests of the RocksDB store are not run here:
# Debian's gRPC and RocksDB are not instrumented either, and RocksDB's
# lock-free reference counts then read as races (the whole suite, those
# included, runs under ASan in checks.sh).
#
#   scripts/tsan.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/apt-install.sh $(sed 's/#.*//' scripts/packages.txt) clang libclang-rt-14-dev dpkg-dev
jobs="${MINGA_BUILD_JOBS:-2}"
root="$PWD/build-tsan"
flags="-fsanitize=thread -O1 -g"

if [ ! -f "$root/absl/lib/libabsl_synchronization.a" ]; then
  mkdir -p "$root/absl-src"
  if ! ls -d "$root"/absl-src/abseil-*/ >/dev/null 2>&1; then
    want="$(dpkg-query -W -f='${Version}' libabsl-dev)"
    (cd "$root/absl-src" && apt-get source -qq "abseil=$want") || {
      echo "tsan: 'apt-get source abseil' failed: add deb-src lines to the apt sources" >&2
      exit 1
    }
  fi
  src="$(ls -d "$root"/absl-src/abseil-*/ | head -1)"
  CC=clang CXX=clang++ cmake -S "$src" -B "$root/absl-build" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_STANDARD=20 -DABSL_PROPAGATE_CXX_STD=ON \
    -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" -DBUILD_TESTING=OFF \
    -DCMAKE_INSTALL_PREFIX="$root/absl" >/dev/null
  ninja -C "$root/absl-build" -j "$jobs" install >/dev/null
fi

if [ ! -f "$root/minga/build.ninja" ]; then
  CXX=clang++ cmake -S . -B "$root/minga" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DMINGA_SANITIZE=thread -DCMAKE_PREFIX_PATH="$root/absl" \
    -DMINGA_BUILD_FUZZERS=OFF -DMINGA_BUILD_BENCH=OFF >/dev/null
fi
tests=(core_test catalog_test sync_test search_test)
ninja -C "$root/minga" -j "$jobs" "${tests[@]/#/tests/}"

# The suppressions cover Abseil internals only; tests/tsan.supp says why.
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp"
for t in "${tests[@]}"; do
  echo "== $t under ThreadSanitizer"
  "$root/minga/tests/$t" --gtest_brief=1
done
