#!/usr/bin/env bash
# The main command: set-up, then the demo (the BicycleGAN training example arrives with a later issue).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
chmod 700 "$XDG_RUNTIME_DIR"
node scripts/embed-kernels.mjs
exec npx --no-install tsx examples/demo.ts "$@"
