#!/usr/bin/env bash
# Stops what scripts/scale/up.sh started (by recorded PID only): HAProxy, the replicas (SIGTERM:
# they finish in-flight requests), then its PostgreSQL cluster. --purge also removes the state.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
STATE=${DC_SCALE_DIR:-/tmp/deltacloud-scale}
[[ -d $STATE ]] || exit 0
for pidfile in "$STATE"/haproxy.pid "$STATE"/replica-*.pid; do
  [[ -f $pidfile ]] || continue
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
done
DC_PG_DIR="$STATE/postgres" bash "$ROOT/scripts/postgres/teardown.sh"
[[ ${1:-} == --purge ]] && rm -rf "$STATE"
exit 0
