#!/usr/bin/env bash
# Function lengths of the non-test C++ code (node/, client/), from
# universal-ctags' start and end lines: how many functions, the share over
# 50 lines (leveldb's is 3.8%), and the longest ones. Needs Debian's
# universal-ctags. Usage: scripts/function_lengths.sh [TOP]
set -euo pipefail
cd "$(dirname "$0")/.."
top="${1:-15}"
lengths="$(mktemp)"
trap 'rm -f "$lengths"' EXIT
git ls-files 'node/*.cc' 'node/*.h' 'client/*.cc' 'client/*.h' | grep -v '_test\.cc$' |
  xargs ctags-universal --languages=C++ --kinds-C++=f --fields=+ne -x --_xformat='%{line} %{end} %N %F' |
  awk '$2 != "" { print $2 - $1 + 1, $4 ":" $1, $3 }' | sort -rn > "$lengths"
awk '{ n++; if ($1 > 50) over++; if ($1 > 80) over80++ }
     END { printf "functions: %d; over 50 lines: %d (%.1f%%); over 80 lines: %d\n", n, over, 100 * over / n, over80 }' "$lengths"
head -n "$top" "$lengths" | sed 's/^/  /'
