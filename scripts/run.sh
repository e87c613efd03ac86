#!/usr/bin/env bash
# Runs a TypeScript entry point after the set-up: `bash scripts/run.sh examples/sample.ts --help`.
# scripts/train.sh (the main command) is this with examples/edges2shoes.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
chmod 700 "$XDG_RUNTIME_DIR"
node scripts/embed-kernels.mjs
script=$1
shift
exec node --import tsx "$script" "$@"
