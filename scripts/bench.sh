#!/usr/bin/env bash
# Minga beside PouchDB on PouchDB's own catalog workload, in one command.
# Installs what the comparison needs when missing (Node.js and npm for
# PouchDB, Debian's rocksdb-tools for db_bench), the pinned PouchDB packages
# (bench/pouchdb/package-lock.json), builds the node, the client and the
# benchmark, then runs it with the arguments given:
#   scripts/bench.sh                      100,000 materials, 3 runs (~15 min)
#   scripts/bench.sh --materials 20000 --runs 1
#   scripts/bench.sh --help
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
command -v db_bench >/dev/null || need+=(rocksdb-tools)
if ((${#need[@]})); then scripts/apt-install.sh "${need[@]}"; fi
if [ ! -d bench/pouchdb/node_modules/pouchdb ]; then
  npm ci --prefix bench/pouchdb --no-audit --no-fund
fi
scripts/setup.sh minga-node minga minga-sync-bench
exec build/bench/minga-sync-bench "$@"
