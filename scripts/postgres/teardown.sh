#!/usr/bin/env bash
# Stops the cluster scripts/postgres/setup.sh started (its data stays; pass --purge to remove it).
set -euo pipefail
DIR=${DC_PG_DIR:-/tmp/deltacloud-postgres}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
as_owner() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [[ -f $DIR/PG_VERSION ]] && as_owner "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
  as_owner "$BIN/pg_ctl" -D "$DIR" -m fast -w stop >/dev/null
fi
[[ ${1:-} == --purge ]] && rm -rf "$DIR"
exit 0
