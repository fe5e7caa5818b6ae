#!/usr/bin/env bash
# Builds the Debian package from build/ and checks it: lintian (no error or
# warning) and systemd-analyze verify on the unit. With --install (root, on
# a machine without Minga installed) it then installs the package, starts
# the node from it as the service does, waits for the node to answer the
# client, stops it, and purges the package, its user and its state again.
#
#   scripts/package.sh [--install]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/build.ninja ] || scripts/setup.sh
ninja -C build minga-node minga minga_changelog
rm -f build/minga_*.deb
(cd build && cpack -G DEB > cpack.log) || { cat build/cpack.log; exit 1; }
deb=$(ls build/minga_*.deb)
echo "package: $deb"
dpkg-deb --field "$deb" Package Version Installed-Size Depends
# lintian leaves Berkeley DB files (mldbm-elf-*) in its TMPDIR: give it one
# of its own, removed after it.
# binary-without-manpage: the programs' --help is their manual for now.
lintian_tmp=$(mktemp -d)
lintian_rc=0
TMPDIR="$lintian_tmp" lintian --fail-on error,warning --suppress-tags binary-without-manpage \
  "$deb" || lintian_rc=$?
rm -rf "$lintian_tmp"
[ "$lintian_rc" = 0 ] || exit "$lintian_rc"
echo "lintian: no errors or warnings"

[ "${1:-}" = "--install" ] || exit 0
if dpkg -s minga >/dev/null 2>&1; then
  echo "minga is installed on this machine; not touching it" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y "./$deb"
node_pid=""
cleanup() {
  [ -n "$node_pid" ] && kill -TERM "$node_pid" 2>/dev/null && wait "$node_pid" || true
  apt-get purge -y minga >/dev/null || true
  rm -rf /var/lib/minga
  deluser --system --quiet minga 2>/dev/null || true
}
trap cleanup EXIT
getent passwd minga >/dev/null || { echo "the package made no minga user" >&2; exit 1; }
[ "$(stat -c %U:%G:%a /etc/minga/node.textproto)" = "root:minga:640" ] ||
  { echo "/etc/minga/node.textproto: $(stat -c %U:%G:%a /etc/minga/node.textproto)" >&2; exit 1; }
systemd-analyze verify /lib/systemd/system/minga-node.service
echo "systemd-analyze verify: the unit is valid"
/usr/bin/minga-node --check-config /etc/minga/node.textproto

client() { runuser -u minga -- /usr/bin/minga --node unix:/var/lib/minga/admin.sock "$@"; }
if [ -d /run/systemd/system ]; then
  systemctl start minga-node
else
  # No systemd running here (a container): run what the unit runs, as its
  # user, in the state directory StateDirectory= would make.
  install -d -o minga -g minga -m 0700 /var/lib/minga
  runuser -u minga -- /usr/bin/minga-node --config /etc/minga/node.textproto --init
  runuser -u minga -- /usr/bin/minga-node --config /etc/minga/node.textproto &
  node_pid=$!
fi
# The deadline is for a hang, not for speed.
for _ in $(seq 1 300); do
  if client status >/dev/null 2>&1; then break; fi
  sleep 0.2
done
client status
client put --id prueba --title "Prueba del paquete" --kind guide --sector health
client get local/prueba >/dev/null
if [ -d /run/systemd/system ]; then systemctl stop minga-node; fi
echo "the installed node started, took a material and answered"
