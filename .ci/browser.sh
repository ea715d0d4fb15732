#!/usr/bin/env bash
# Make sure Debian's Chromium is installed for the browser tests (tests/e2e), installing it when missing (needs
# root and apt-get); print its path on stdout. Playwright drives it: browsers are never downloaded.
set -euo pipefail
log() { printf '%s\n' "$*" >&2; }

chromium="${BREACH_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    log "Chromium is not installed at $chromium and cannot be installed here (needs root and apt-get)"; exit 1
  fi
  log "installing Chromium from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null; }
fi
[ -x "$chromium" ] || { log "no Chromium at $chromium after installing"; exit 1; }
echo "$chromium"
