#!/usr/bin/env bash
# The Minga demo: three organisations of a regional community of practice,
# each running its own minga-node on loopback with its own RocksDB store,
# linked in a line over mutual TLS with a freshly made CA:
#
#     ministerio  <-->  red-mujeres  <-->  agencia-onu
#
# Each publishes a third of the real sample materials as its own; the
# catalogs converge (the ends through the relay in the middle). The script
# prints the `minga` commands to try and stops every node on Ctrl-C.
#
#   scripts/demo.sh          build if needed, then run
#   DEMO_BASE_PORT=7440 scripts/demo.sh   use ports 7441-7443
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
scripts/setup.sh minga minga-node

NODE=$ROOT/build/node/minga-node
MINGA=$ROOT/build/client/minga
DEMO=$ROOT/demo-data
BASE=${DEMO_BASE_PORT:-7430}
ORGS=(ministerio red-mujeres agencia-onu)
NAMES=("Ministerio de Salud" "Red de Mujeres del Sur" "Agencia ONU regional")
declare -A PEERS=([ministerio]="red-mujeres" [red-mujeres]="ministerio agencia-onu"
                  [agencia-onu]="red-mujeres")

pids=()
stop_nodes() {
  trap - INT TERM EXIT
  if ((${#pids[@]})); then
    echo
    echo "demo: stopping the nodes"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
  echo "demo: stopped. Data stays in $DEMO (delete it to start over)."
}
trap stop_nodes INT TERM EXIT

for i in 0 1 2; do
  port=$((BASE + i + 1))
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
    echo "demo: port $port is in use; set DEMO_BASE_PORT to another base" >&2
    exit 1
  fi
done

rm -rf "$DEMO"
mkdir -p "$DEMO"
scripts/make-certs.sh "$DEMO/certs" "${ORGS[@]}"

federation="name: \"comunidad-esp-lac-demo\"\n"
for i in 0 1 2; do
  org=${ORGS[$i]}
  mkdir -p "$DEMO/$org"
  {
    echo "org_id: \"$org\""
    echo "data_dir: \"data\""
    echo "listen: \"127.0.0.1:$((BASE + i + 1))\""
    echo "federation_file: \"../federation.textproto\""
    echo "tls { ca_file: \"../certs/ca.pem\" cert_file: \"../certs/$org.pem\" key_file: \"../certs/$org.key\" }"
    for peer in ${PEERS[$org]}; do echo "peers { org_id: \"$peer\" }"; done
  } > "$DEMO/$org/node.textproto"
  key=$("$NODE" --config "$DEMO/$org/node.textproto" --init | sed -n 's/^signing_public_key: //p')
  federation+="members { org_id: \"$org\" display_name: \"${NAMES[$i]}\" signing_public_key: \"$key\" addresses: \"127.0.0.1:$((BASE + i + 1))\" }\n"
done
printf "$federation" > "$DEMO/federation.textproto"

for org in "${ORGS[@]}"; do
  "$NODE" --config "$DEMO/$org/node.textproto" > "$DEMO/$org/node.log" 2>&1 &
  pids+=($!)
done
for org in "${ORGS[@]}"; do
  for _ in $(seq 100); do
    "$MINGA" --node "unix:$DEMO/$org/data/admin.sock" status > /dev/null 2>&1 && break
    sleep 0.1
  done
done

echo
echo "== each organisation publishes a third of config/samples/materials.json"
for i in 0 1 2; do
  org=${ORGS[$i]}
  printf "%-12s " "$org:"
  "$MINGA" --node "unix:$DEMO/$org/data/admin.sock" import config/samples/materials.json \
    --shard "$((i + 1))/3"
done

echo
echo "== pulling until caught up"
for org in "${ORGS[@]}"; do
  "$MINGA" --node "unix:$DEMO/$org/data/admin.sock" sync --wait > /dev/null
done
for org in "${ORGS[@]}"; do
  echo "-- $org"
  "$MINGA" --node "unix:$DEMO/$org/data/admin.sock" status | sed -n '/^digest/p;/^ORIGIN/,$p'
done

echo
echo "== files travel too: each attaches one to a material of its own"
first_id() {
  "$MINGA" --node "unix:$DEMO/$1/data/admin.sock" --json ls --origin "$1" --limit 1 |
    grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4
}
# Real files of the project, and a generated 24 MiB payload standing in for
# a training video (random bytes, labelled as such).
head -c $((24 * 1024 * 1024)) /dev/urandom > "$DEMO/demo-video-payload.bin"
M_ID=$(first_id ministerio)
R_ID=$(first_id red-mujeres)
A_ID=$(first_id agencia-onu)
"$MINGA" --node "unix:$DEMO/ministerio/data/admin.sock" attach "$M_ID" config/samples/materials.md
"$MINGA" --node "unix:$DEMO/red-mujeres/data/admin.sock" attach "$R_ID" config/samples/materials.json
"$MINGA" --node "unix:$DEMO/agencia-onu/data/admin.sock" attach "$A_ID" "$DEMO/demo-video-payload.bin" \
  --media-type application/octet-stream
for _ in $(seq 300); do
  left=$("$MINGA" --node "unix:$DEMO/ministerio/data/admin.sock" --json status |
    grep -o '"chunks_missing":"[0-9]*"' || true)
  [ -z "$left" ] && break
  sleep 0.1
done
echo "-- at ministerio, two hops from agencia-onu:"
"$MINGA" --node "unix:$DEMO/ministerio/data/admin.sock" files "$A_ID"
"$MINGA" --node "unix:$DEMO/ministerio/data/admin.sock" status | sed -n '/^files/p'

echo
echo "== a change at ministerio reaches agencia-onu, two hops away"
start=$(date +%s%N)
"$MINGA" --node "unix:$DEMO/ministerio/data/admin.sock" put --id demo-en-vivo \
  --title "Ruta de atención actualizada" --kind protocol --sector health --country PE > /dev/null
until "$MINGA" --node "unix:$DEMO/agencia-onu/data/admin.sock" get ministerio/demo-en-vivo \
  > /dev/null 2>&1; do sleep 0.01; done
echo "visible at agencia-onu after $((($(date +%s%N) - start) / 1000000)) ms"

echo
echo "== a guide shared with two members only (its id is random: it must not tell"
echo "   the third member what it is about)"
G_ID=$("$MINGA" --node "unix:$DEMO/agencia-onu/data/admin.sock" put --title "Guía comunitaria" \
  --kind guide --sector social_services --audience members:agencia-onu,red-mujeres |
  sed -n 's/^stored \([^ ]*\) version .*/\1/p')
echo "stored $G_ID"

cat <<EOT

== the federation is running. Try, in another terminal:
  export MINGA_NODE=unix:$DEMO/agencia-onu/data/admin.sock
  $MINGA ls
  $MINGA get ministerio/demo-en-vivo
  $MINGA peers
  $MINGA status
  $MINGA --node unix:$DEMO/red-mujeres/data/admin.sock get $G_ID
  $MINGA --node unix:$DEMO/ministerio/data/admin.sock get $G_ID
        (ministerio holds only the signed header: it is outside the audience)
  $MINGA files $M_ID
  $MINGA fetch $M_ID materials.md -o /tmp/materials.md
  $MINGA search violencia sexual --lang es
  $MINGA --node unix:$DEMO/ministerio/data/admin.sock rm ministerio/demo-en-vivo
Logs: $DEMO/<org>/node.log.   Press Ctrl-C to stop the three nodes.
EOT
wait "${pids[@]}"
