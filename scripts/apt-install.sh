#!/usr/bin/env bash
# Installs the Debian packages named as arguments, as root or through sudo.
# The callers decide what is missing (setup.sh by package, bench.sh by
# command).
set -euo pipefail
(($#)) || exit 0
echo "installing $*"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
