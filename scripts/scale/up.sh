#!/usr/bin/env bash
# A local scale-out: PostgreSQL (scripts/postgres/setup.sh, own cluster under $STATE), N replicas of
# deltacloudd on free ports, and HAProxy in front health-checking /healthz. Idempotent: what already
# runs (PIDs recorded in $STATE) is left alone. Prints the HAProxy URL. down.sh stops only these.
# Usage: scripts/scale/up.sh [N (default 3)]   Env: DC_SCALE_DIR (default /tmp/deltacloud-scale),
#        DC_SCALE_PORT (HAProxy's port, default 3100), DC_SCALE_ARGS (extra deltacloudd arguments)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
N=${1:-3}
STATE=${DC_SCALE_DIR:-/tmp/deltacloud-scale}
PORT=${DC_SCALE_PORT:-3100}
mkdir -p "$STATE"
log() { echo "[scale] $*" >&2; }
alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

[[ -f $ROOT/dist/server/cli.js ]] || { echo "build first: npm run build" >&2; exit 1; }
URL=$(DC_PG_DIR="$STATE/postgres" DC_PG_PORT=${DC_SCALE_PG_PORT:-55433} bash "$ROOT/scripts/postgres/setup.sh" --no-install)
node "$ROOT/dist/server/cli.js" db migrate --database "$URL" >&2

servers=()
for i in $(seq 1 "$N"); do
  pidfile=$STATE/replica-$i.pid portfile=$STATE/replica-$i.port
  if alive "$pidfile"; then
    log "replica $i already running on port $(cat "$portfile")"
  else
    port=$(free_port)
    # shellcheck disable=SC2086
    nohup node "$ROOT/dist/server/cli.js" -r 127.0.0.1 -p "$port" --database "$URL" -f deltacloud,ec2 ${DC_SCALE_ARGS:-} \
      >"$STATE/replica-$i.log" 2>&1 &
    echo $! >"$pidfile"
    echo "$port" >"$portfile"
    log "replica $i starting on port $port"
  fi
  servers+=("  server r$i 127.0.0.1:$(cat "$portfile") check")
done

cat >"$STATE/haproxy.cfg" <<CFG
global
  maxconn 1024
defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  retries 3
  option redispatch
  retry-on conn-failure empty-response response-timeout
frontend api
  bind 127.0.0.1:$PORT
  default_backend replicas
backend replicas
  balance roundrobin
  option httpchk GET /healthz
  # A POST (create, stop, …) may have run on a replica that died before answering: never replay it.
  http-request disable-l7-retry if METH_POST
  default-server inter 500ms fall 2 rise 2
$(printf '%s\n' "${servers[@]}")
CFG
if alive "$STATE/haproxy.pid"; then
  kill -USR2 "$(cat "$STATE/haproxy.pid")" 2>/dev/null || true # master-worker reload with the new config
else
  haproxy -W -D -p "$STATE/haproxy.pid" -f "$STATE/haproxy.cfg"
fi
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null || { echo "HAProxy has no ready replica on :$PORT (see $STATE/*.log)" >&2; exit 1; }
echo "http://127.0.0.1:$PORT/api"
