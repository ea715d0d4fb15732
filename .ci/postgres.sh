#!/usr/bin/env bash
# Make sure a PostgreSQL server from Debian's packages runs on loopback with a role and a database for the
# test suite, installing it when missing (needs root); print the SQLAlchemy URL on stdout.
set -euo pipefail
log() { printf '%s\n' "$*" >&2; }

if ! command -v pg_lsclusters >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    log "PostgreSQL is not installed and cannot be installed here (needs root and apt-get)"; exit 1
  fi
  log "installing PostgreSQL from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq postgresql >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq postgresql >/dev/null; }
fi
read -r version cluster port status _ < <(pg_lsclusters --no-header | sort -V | tail -n 1)
if [ -z "${version:-}" ]; then
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$version" ] || version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  pg_createcluster "$version" main >/dev/null; cluster=main
  read -r version cluster port status _ < <(pg_lsclusters --no-header | sort -V | tail -n 1)
fi
if [ "$status" != online ]; then
  pg_ctlcluster "$version" "$cluster" start >&2 || true
fi
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p "$port" && break; sleep 0.5
done
as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -c "$1"; else bash -c "$1"; fi; }
as_postgres "psql -p $port -tAc \"SELECT 1 FROM pg_roles WHERE rolname='breach'\"" | grep -q 1 ||
  as_postgres "psql -p $port -qc \"CREATE ROLE breach LOGIN CREATEDB PASSWORD 'breach'\"" >&2
# each test process makes a database of its own (parallel runs must not share one)
as_postgres "psql -p $port -qc \"ALTER ROLE breach CREATEDB\"" >&2
as_postgres "psql -p $port -tAc \"SELECT 1 FROM pg_database WHERE datname='breach_test'\"" | grep -q 1 ||
  as_postgres "psql -p $port -qc \"CREATE DATABASE breach_test OWNER breach\"" >&2
echo "postgresql+psycopg://breach:breach@127.0.0.1:${port}/breach_test"
