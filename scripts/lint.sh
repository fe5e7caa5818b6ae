#!/usr/bin/env bash
# The checks that need no build: the format of every C++ file and the
# layering of the includes (docs/layout.md). Seconds; run first in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/format.sh --check
scripts/check_layers.sh
