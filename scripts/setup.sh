#!/usr/bin/env bash
# Installs what the tests and demos need on a fresh Debian 12 machine (run as root, as CI does).
# Idempotent: quick when everything is already present.
#  1. A Vulkan driver for Dawn. A machine with a real GPU driver (an ICD other than lavapipe) keeps it.
#     Otherwise Mesa's lavapipe from bookworm-backports: Debian 12's own Mesa 22 is too old for Dawn.
#  2. npm dependencies (npm ci when the lockfile matches package.json).
#  3. Debian's chromium (headless: the browser demo's test and the training report's), when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

have_gpu_icd() {
  local d
  for d in /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/share/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d; do
    ls "$d"/*.json 2>/dev/null | grep -qv lvp_icd && return 0
  done
  return 1
}

lavapipe_ok() {
  # Mesa >= 23 lavapipe plus the Vulkan loader.
  local v
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
  [ -n "$v" ] && dpkg --compare-versions "$v" ge 23 && ldconfig -p | grep -q 'libvulkan.so.1'
}

if ! have_gpu_icd && ! lavapipe_ok; then
  if ! command -v apt-get >/dev/null; then
    echo "setup: no Vulkan driver found and no apt-get: install Mesa >= 23 (lavapipe) or a GPU driver" >&2
    exit 1
  fi
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  src=/etc/apt/sources.list.d/debian.sources
  bp=/etc/apt/sources.list.d/backports.sources
  if [ ! -f "$bp" ]; then
    # First stanza of the system's own sources, with the suite swapped: no host name is written here.
    awk 'BEGIN{RS=""; ORS="\n"} NR==1{print; exit}' "$src" \
      | sed 's/^Suites:.*/Suites: bookworm-backports/' | $SUDO tee "$bp" >/dev/null
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
  apt_updated=1
fi

if ! command -v chromium >/dev/null && command -v apt-get >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  [ -n "${apt_updated:-}" ] || $SUDO apt-get update -qq || true
  # Chromium renders the browser demo (test/web.test.ts) and the training report (test/report.test.ts).
  # Not fatal: without it those two tests skip, and say so.
  $SUDO apt-get install -y -qq chromium >/dev/null || echo "setup: could not install chromium" >&2
fi

if [ ! -d node_modules ] || [ package.json -nt node_modules/.package-lock.json ] || { [ -f package-lock.json ] && [ package-lock.json -nt node_modules/.package-lock.json ]; }; then
  # npm install (not npm ci): npm 11 rejects its own lockfile in ci when optional platform packages
  # (biome's per-OS binaries) are absent; install still honours the lockfile.
  npm install --no-audit --no-fund --loglevel=error
fi
