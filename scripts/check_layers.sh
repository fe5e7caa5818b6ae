#!/usr/bin/env bash
# The layering of docs/layout.md as a check: each directory's code may
# include only the layers its CMake target links, and the heavy libraries
# stay behind their one door (gRPC at the edge, RocksDB in rocks_kv.cc,
# Xapian in node/search). Tests (*_test.cc) may also use tests/util and the
# client's formats. Exit 1 naming every include that breaks a rule.
set -euo pipefail
cd "$(dirname "$0")/.."

# directory: the directories of ours it may include (besides itself), and
# whether it may include gRPC stubs and headers.
declare -A ALLOWED=(
  [node/core]=""
  [node/store]="node/core"
  [node/catalog]="node/core node/store"
  [node/search]="node/core node/store node/catalog"
  [node/maintenance]="node/core node/store node/catalog node/search"
  [node/oai]="node/core node/store node/catalog"
  [node/config]="node/core"
  [node/sync]="node/core node/store node/catalog"
  [node/net]="node/core node/store node/catalog node/sync grpc"
  [node/service]="node/core node/store node/catalog node/search node/maintenance node/sync node/net grpc"
  [node/server]="node/core node/store node/catalog node/search node/maintenance node/oai node/config node/sync node/net node/service grpc"
  [client/formats]="node/core"
  [client/cli]="node/core"
  [client/harvest]="node/core"
  [client/commands]="node/core node/net/grpc_status.h client/cli client/formats client/harvest grpc"
)

failures=0
fail() {
  echo "$1: $2" >&2
  failures=$((failures + 1))
}

for dir in "${!ALLOWED[@]}"; do
  allowed="$dir ${ALLOWED[$dir]}"
  while IFS= read -r file; do
    is_test=0
    [[ "$file" == *_test.cc ]] && is_test=1
    while IFS= read -r line; do
      inc="${line#*#include }"
      inc="${inc//\"/}"
      inc="${inc#<}"
      inc="${inc%>}"
      case "$inc" in
        grpcpp/* | grpc/* | *.grpc.pb.h)
          [[ " $allowed " == *" grpc "* || $is_test == 1 ]] ||
            fail "$file" "includes $inc: gRPC is only for node/net, node/service, node/server and client/commands"
          continue ;;
        rocksdb/*)
          [[ "$file" == node/store/rocks_kv.cc ]] ||
            fail "$file" "includes $inc: RocksDB is only for node/store/rocks_kv.cc"
          continue ;;
        xapian.h)
          [[ "$dir" == node/search ]] ||
            fail "$file" "includes $inc: Xapian is only for node/search"
          continue ;;
        node/* | client/* | bench/* | tests/*) ;;
        *) continue ;;
      esac
      ok=0
      for a in $allowed; do
        [[ "$a" == grpc ]] && continue
        if [[ "$inc" == "$a"/* || "$inc" == "$a" ]]; then ok=1; fi
      done
      if [[ $is_test == 1 && ( "$inc" == tests/util/* || "$inc" == client/formats/* ) ]]; then ok=1; fi
      [[ $ok == 1 ]] || fail "$file" "includes $inc, a layer $dir does not link"
    done < <(grep -E '^#include ' "$file" || true)
  done < <(find "$dir" -maxdepth 1 -name '*.h' -o -maxdepth 1 -name '*.cc')
done

if [[ $failures -gt 0 ]]; then
  echo "check_layers: $failures include(s) break the layering" >&2
  exit 1
fi
echo "check_layers: every include follows the layering"
