#!/usr/bin/env bash
# Make sure Debian's SpamAssassin is installed for the test that scores every e-mail the demo writes (local
# tests only, no network), installing it when missing (needs root and apt-get); print its path on stdout.
set -euo pipefail
log() { printf '%s\n' "$*" >&2; }

if ! command -v spamassassin >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    log "SpamAssassin is not installed and cannot be installed here (needs root and apt-get)"; exit 1
  fi
  log "installing SpamAssassin from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends spamassassin >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends spamassassin >/dev/null; }
fi
command -v spamassassin
