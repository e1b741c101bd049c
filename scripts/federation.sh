#!/usr/bin/env bash
# federation.sh — the main job: installs what is missing, builds govfed,
# and runs `govfed demo`: a local federation of eight nodes on loopback
# (embedded defaults), publishing down and reporting up, until Ctrl-C.
# Arguments go to govfed demo (e.g. --once, --dir DIR, --base-port PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh >/dev/null
exec ./build/node/govfed demo "$@"
