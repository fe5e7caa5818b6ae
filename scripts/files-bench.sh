#!/usr/bin/env bash
# Files between two Minga nodes beside rsync and Syncthing, in one command.
# Installs what the comparison needs when missing (Debian's rsync and
# syncthing), builds the node, the client and the benchmark, then runs it
# with the arguments given:
#   scripts/files-bench.sh                      812 MiB, 3 runs (~5 min)
#   scripts/files-bench.sh --videos 5 --documents 10 --runs 1
#   scripts/files-bench.sh --help
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v rsync >/dev/null || need+=(rsync)
command -v syncthing >/dev/null || need+=(syncthing)
if ((${#need[@]})); then scripts/apt-install.sh "${need[@]}"; fi
scripts/setup.sh minga-node minga minga-files-bench
exec build/bench/minga-files-bench "$@"
