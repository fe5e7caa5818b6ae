#!/usr/bin/env bash
# Makes a development certificate authority for a federation and one
# certificate per organisation, with openssl.
#
#   scripts/make-certs.sh DIR ORG [ORG...]
#
# Writes DIR/ca.pem and DIR/ca.key (made once, reused when present), and for
# each ORG: DIR/ORG.pem and DIR/ORG.key. An org's certificate names the org
# id as its subject common name and DNS subject alternative name (a node
# checks both ways that its peer is who the config says), is valid for
# client and server use, and is signed by the CA. Keys are ECDSA P-256 and
# readable by the owner only. No other name (no localhost, no 127.0.0.1):
# a client that checks the name it dialled must be told which org it
# expects (`minga --tls-name ORG`), so one org's certificate never passes
# for another's.
#
# For production, issue certificates from the federation's real CA with the
# same subject layout; this script is for demos and tests.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 DIR ORG [ORG...]" >&2
  exit 2
fi
dir=$1
shift
mkdir -p "$dir"
umask 077
if [ ! -f "$dir/ca.pem" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" -days 3650 \
    -subj "/CN=Minga federation development CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi
for org in "$@"; do
  if ! [[ "$org" =~ ^[a-z0-9][a-z0-9-]{0,30}[a-z0-9]$ ]]; then
    echo "make-certs: '$org' is not an org id ([a-z0-9-]{2,32})" >&2
    exit 2
  fi
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$dir/$org.key" -out "$dir/$org.csr" -subj "/CN=$org" 2>/dev/null
  ext=$(mktemp)
  printf "subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n" "$org" > "$ext"
  openssl x509 -req -in "$dir/$org.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -CAcreateserial -out "$dir/$org.pem" -days 825 -extfile "$ext" 2>/dev/null
  rm -f "$ext" "$dir/$org.csr"
done
