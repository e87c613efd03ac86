#!/usr/bin/env bash
# The project's test command: installs what is missing (scripts/setup.sh), embeds the kernels,
# type-checks, lints, then runs every uvu test file on the WebGPU device.
# Prints a closing line "N passed, N failed" (the type check and the lint count as tests).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "set-up failed"; echo "0 passed, 1 failed"; exit 1; }
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
chmod 700 "$XDG_RUNTIME_DIR" 2>/dev/null || true
passed=0
failed=0

check() { # name, command...
  local name=$1
  shift
  echo "== $name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name"; fi
}

node scripts/embed-kernels.mjs || exit 1
check "typecheck (tsc --noEmit)" npx --no-install tsc --noEmit -p .
check "lint and format (biome check)" npx --no-install biome check .

echo "== unit tests (uvu)"
log=$(mktemp)
# Dawn's "artificially reduced" limit warnings are harmless noise.
node --import tsx node_modules/uvu/bin.js test '\.test\.ts$' 2>&1 | grep -v 'artificially reduced' | tee "$log"
status=${PIPESTATUS[0]}
total=$(sed -n 's/^ *Total: *\([0-9]*\).*/\1/p' "$log" | tail -1)
ok=$(sed -n 's/^ *Passed: *\([0-9]*\).*/\1/p' "$log" | tail -1)
if [ -n "$total" ] && [ -n "$ok" ]; then
  passed=$((passed + ok))
  failed=$((failed + total - ok))
  [ "$status" -ne 0 ] && [ "$total" -eq "$ok" ] && failed=$((failed + 1))
else
  echo "FAILED: the test runner crashed (exit $status)"
  failed=$((failed + 1))
fi
rm -f "$log"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
