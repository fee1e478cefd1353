#!/usr/bin/env bash
# A PostgreSQL 15 cluster of our own for the PostgreSQL-backed test lane and
# scripts/scale: initdb into $DC_PG_DIR (default /tmp/deltacloud-postgres) as
# the postgres user, listening on 127.0.0.1:$DC_PG_PORT (default 55432, not
# the distribution's 5432), trust auth on loopback only, database `deltacloud`.
# Idempotent: an existing cluster is started if stopped, left alone if running.
# Prints the URL to use: postgres://postgres@127.0.0.1:55432/deltacloud
# Usage: scripts/postgres/setup.sh [--no-install]; teardown.sh stops it.
set -euo pipefail
DIR=${DC_PG_DIR:-/tmp/deltacloud-postgres}
PORT=${DC_PG_PORT:-55432}
PACKAGES=(postgresql)
log() { echo "[postgres-setup] $*" >&2; }

if [[ ${1:-} != --no-install ]]; then
  missing=()
  for p in "${PACKAGES[@]}"; do [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == 'install ok installed' ]] || missing+=("$p"); done
  if ((${#missing[@]})); then
    if [[ $(id -u) -ne 0 ]]; then echo "setup.sh must run as root to install packages" >&2; exit 1; fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || apt-get update
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x $BIN/initdb ]] || { echo "PostgreSQL binaries not found under /usr/lib/postgresql (install postgresql)" >&2; exit 1; }
# Run as the postgres user when we are root (initdb refuses root); as ourselves otherwise.
as_owner() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if [[ ! -f $DIR/PG_VERSION ]]; then
  log "initdb in $DIR"
  mkdir -p "$DIR"
  [[ $(id -u) -eq 0 ]] && chown postgres:postgres "$DIR"
  chmod 700 "$DIR"
  as_owner "$BIN/initdb" -D "$DIR" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  cat >>"$DIR/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DIR'
max_connections = 200
fsync = on
CONF
  # Loopback only, and trust: a throwaway test cluster; nothing else can reach it.
  printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$DIR/pg_hba.conf"
fi

if as_owner "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
  log "already running on port $PORT"
else
  as_owner "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w -t 60 start >/dev/null
  log "started on port $PORT"
fi
as_owner "$BIN/psql" -h "$DIR" -p "$PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'deltacloud'" | grep -q 1 \
  || as_owner "$BIN/createdb" -h "$DIR" -p "$PORT" -U postgres deltacloud
echo "postgres://postgres@127.0.0.1:$PORT/deltacloud"
