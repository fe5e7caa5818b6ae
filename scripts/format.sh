#!/usr/bin/env bash
# Formats the C++ sources with .clang-format (clang-format 14, Debian's
# clang-format package). With --check, changes nothing and exits 1 naming
# every file that differs.
set -euo pipefail
cd "$(dirname "$0")/.."
FORMAT="${CLANG_FORMAT:-clang-format-14}"
command -v "$FORMAT" >/dev/null || FORMAT=clang-format
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.cc' '*.h')
if [[ "${1:-}" == "--check" ]]; then
  bad=0
  for f in "${files[@]}"; do
    if ! "$FORMAT" --dry-run --Werror "$f" >/dev/null 2>&1; then
      echo "format: $f differs from .clang-format (run scripts/format.sh)" >&2
      bad=$((bad + 1))
    fi
  done
  if [[ $bad -gt 0 ]]; then
    echo "format: $bad file(s) to format" >&2
    exit 1
  fi
  echo "format: every C++ file follows .clang-format"
else
  "$FORMAT" -i "${files[@]}"
fi
