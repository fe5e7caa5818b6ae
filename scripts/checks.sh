#!/usr/bin/env bash
# The checked build: clang with AddressSanitizer + UndefinedBehaviorSanitizer,
# the lock annotations checked as errors (-Wthread-safety -Werror), and the
# libFuzzer targets; then every test under the sanitizers, and each fuzzer
# for a bounded time.
#
#   scripts/checks.sh [FUZZ_SECONDS_EACH]     (default 60)
#
# Installs clang and its runtime on a fresh Debian 12 machine. Builds in
# build-check/ (the release build in build/ is left alone).
set -euo pipefail
cd "$(dirname "$0")/.."
fuzz_seconds="${1:-60}"
scripts/apt-install.sh $(sed 's/#.*//' scripts/packages.txt) clang libclang-rt-14-dev

if [ ! -f build-check/build.ninja ]; then
  CXX=clang++ cmake -S . -B build-check -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DMINGA_SANITIZE=address,undefined -DMINGA_THREAD_SAFETY=ON \
    -DMINGA_BUILD_FUZZERS=ON -DMINGA_BUILD_BENCH=OFF >/dev/null
fi
ninja -C build-check -j "${MINGA_BUILD_JOBS:-2}"

# Every test, the node processes they start included, under the sanitizers.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
(cd build-check && ctest --output-on-failure -j "${MINGA_TEST_JOBS:-2}" --timeout 900)

scripts/fuzz.sh build-check "$fuzz_seconds"
