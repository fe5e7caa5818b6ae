#!/usr/bin/env bash
# Runs every fuzzer for a bounded time from its seed corpus (made from the
# samples) plus what earlier runs kept. Needs a build with
# -DMINGA_BUILD_FUZZERS=ON (scripts/checks.sh makes one).
#
#   scripts/fuzz.sh [BUILD_DIR] [SECONDS_EACH]
#
# Exits non-zero when a fuzzer finds a crash, a sanitizer report or a broken
# property; the input that did it is kept in BUILD_DIR/fuzz/artifacts/ and
# replays with: BUILD_DIR/tests/fuzz/<fuzzer> <that file>.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build-check}"
seconds="${2:-60}"
work="$build/fuzz"
"$build/tests/fuzz/make_seeds" . "$work/seeds" >/dev/null
failed=()
for fuzzer in revision_fuzzer apply_batch_fuzzer batch_codec_fuzzer config_fuzzer import_fuzzer \
  oai_fuzzer; do
  mkdir -p "$work/corpus/$fuzzer" "$work/artifacts/$fuzzer"
  log="$work/$fuzzer.log"
  # -rss_limit_mb bounds what one input may make the decoders allocate.
  if "$build/tests/fuzz/$fuzzer" -max_total_time="$seconds" -rss_limit_mb=2048 \
      -timeout=30 -print_final_stats=1 -artifact_prefix="$work/artifacts/$fuzzer/" \
      "$work/corpus/$fuzzer" "$work/seeds/$fuzzer" >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo '?')
    printf '%-20s ok      %8s runs in %ss, %s edges covered\n' "$fuzzer" "$runs" "$seconds" "$cov"
  else
    printf '%-20s FAILED  (log: %s)\n' "$fuzzer" "$log"
    grep -E 'ERROR|property broken|SUMMARY|Test unit written' "$log" | head -5 | sed 's/^/    /'
    failed+=("$fuzzer")
  fi
done
if ((${#failed[@]})); then
  echo "fuzz: ${#failed[@]} fuzzer(s) failed: ${failed[*]}" >&2
  exit 1
fi
