#!/usr/bin/env bash
# A single-node OpenStack Swift with tempauth + s3api on loopback: the S3 back end of the ec2 driver's
# live tests (test/drivers/ec2/s3-*.test.ts) and of bench/s3-throughput.ts.
#
#   bash scripts/swift-s3/setup.sh               # install packages if missing, start (idempotent)
#   bash scripts/swift-s3/setup.sh --no-install
#   bash scripts/swift-s3/teardown.sh [--purge]
#
# S3 API:   http://127.0.0.1:$SWIFT_S3_PORT, access key "test:tester", secret "testing", region us-east-1, path-style
# Swift:    GET http://127.0.0.1:$SWIFT_S3_PORT/auth/v1.0 with X-Auth-User: test:tester, X-Auth-Key: testing
#
# Its own directory, ports and PIDs, so that it runs beside the OpenStack driver's Swift (Keystone, 8081,
# 6210-6212, memcached 11212): proxy 8080, storage servers 6300 (object), 6301 (container), 6302 (account).
# memcached (tempauth keeps tokens there) is started on $SWIFT_S3_MEMCACHED_PORT only if nothing listens there.
# Every PID started is recorded under $SWIFT_S3_DIR/run; teardown.sh stops only those.
#
# Env: SWIFT_S3_DIR (/tmp/deltacloud-swift-s3), SWIFT_S3_PORT (8080), SWIFT_S3_STORAGE_PORT_BASE (6300),
#      SWIFT_S3_MEMCACHED_PORT (11211)
set -euo pipefail

D=${SWIFT_S3_DIR:-/tmp/deltacloud-swift-s3}
PORT=${SWIFT_S3_PORT:-8080}
BASE=${SWIFT_S3_STORAGE_PORT_BASE:-6300}
MC=${SWIFT_S3_MEMCACHED_PORT:-11211}
INSTALL=1
[[ ${1:-} == --no-install ]] && INSTALL=0

t0=$(date +%s%N)
ms() { echo $(( ($(date +%s%N) - t0) / 1000000 )); }
log() { echo "[swift-s3 +$(ms) ms] $*"; }

# --- packages ---------------------------------------------------------------------------------
PKGS=(swift swift-proxy swift-account swift-container swift-object python3-swiftclient memcached curl)
missing=()
for p in "${PKGS[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if (( ${#missing[@]} > 0 )); then
  if (( INSTALL == 0 )); then echo "missing packages: ${missing[*]}" >&2; exit 1; fi
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  log "packages installed"
fi

mkdir -p "$D/run" "$D/log" "$D/srv/node/sdb1"
alive() { [[ -f $D/run/$1.pid ]] && kill -0 "$(cat "$D/run/$1.pid")" 2>/dev/null; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# Starts "$@" in its own session, in the background, recording its PID as $D/run/$name.pid.
start() {
  local name=$1; shift
  if alive "$name"; then log "$name already running (pid $(cat "$D/run/$name.pid"))"; return; fi
  setsid "$@" >"$D/log/$name.log" 2>&1 </dev/null & echo $! > "$D/run/$name.pid"
}

# Swift reads the hash prefix/suffix from this fixed path; Debian ships one. Never overwrite it (shared).
if [[ ! -f /etc/swift/swift.conf ]]; then
  mkdir -p /etc/swift
  cat > /etc/swift/swift.conf <<CONF
[swift-hash]
swift_hash_path_suffix = deltacloud-swift-s3
swift_hash_path_prefix = deltacloud
[storage-policy:0]
name = Policy-0
default = yes
CONF
  log "wrote /etc/swift/swift.conf"
fi

# --- rings and configuration (first run only) --------------------------------------------------
if [[ ! -f $D/object.ring.gz ]]; then
  log "building rings in $D"
  for spec in object:$BASE container:$((BASE + 1)) account:$((BASE + 2)); do
    n=${spec%%:*}; p=${spec##*:}
    swift-ring-builder "$D/$n.builder" create 10 1 1 >/dev/null
    swift-ring-builder "$D/$n.builder" add "r1z1-127.0.0.1:$p/sdb1" 100 >/dev/null
    swift-ring-builder "$D/$n.builder" rebalance >/dev/null || true
    cat > "$D/$n-server.conf" <<CONF
[DEFAULT]
devices = $D/srv/node
mount_check = false
disable_fallocate = true
bind_ip = 127.0.0.1
bind_port = $p
workers = 1
user = root
swift_dir = $D
log_level = WARNING
[pipeline:main]
pipeline = healthcheck $n-server
[app:$n-server]
use = egg:swift#$n
[filter:healthcheck]
use = egg:swift#healthcheck
[$n-replicator]
[$n-updater]
[$n-auditor]
CONF
  done
  cat > "$D/proxy-server.conf" <<CONF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $PORT
workers = 1
user = root
swift_dir = $D
log_level = WARNING
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk tempurl s3api tempauth copy slo dlo versioned_writes symlink proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
allow_account_management = true
account_autocreate = true
[filter:tempauth]
use = egg:swift#tempauth
user_admin_admin = admin .admin .reseller_admin
user_test_tester = testing .admin
user_test2_tester2 = testing2 .admin
[filter:s3api]
use = egg:swift#s3api
location = us-east-1
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$MC
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:bulk]
use = egg:swift#bulk
[filter:tempurl]
use = egg:swift#tempurl
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
[filter:versioned_writes]
use = egg:swift#versioned_writes
allow_versioned_writes = true
[filter:symlink]
use = egg:swift#symlink
CONF
fi

# --- memcached: reuse whatever listens on the port, else start our own --------------------------
if alive memcached; then
  log "memcached already running (pid $(cat "$D/run/memcached.pid"))"
elif listening "$MC"; then
  log "memcached port $MC already in use by another process: reusing it"
else
  # In the foreground of its own background job, so $! is its real PID.
  start memcached memcached -u memcache -l 127.0.0.1 -p "$MC" -m 64 -U 0
fi

# --- Swift servers -----------------------------------------------------------------------------
for n in object container account; do
  start "$n" "/usr/bin/swift-$n-server" "$D/$n-server.conf"
done
start proxy /usr/bin/swift-proxy-server "$D/proxy-server.conf"

ok=0
for _ in $(seq 1 300); do
  ok=1
  for p in "$BASE" "$((BASE + 1))" "$((BASE + 2))" "$PORT"; do curl -sf "http://127.0.0.1:$p/healthcheck" >/dev/null || ok=0; done
  [[ $ok == 1 ]] && break
  sleep 0.1
done
if [[ $ok != 1 ]]; then echo "swift-s3 not healthy after 30 s; logs in $D/log" >&2; exit 1; fi
# tempauth must answer too (it needs memcached).
for _ in $(seq 1 100); do
  curl -sf -o /dev/null -H 'X-Auth-User: test:tester' -H 'X-Auth-Key: testing' "http://127.0.0.1:$PORT/auth/v1.0" && break
  sleep 0.1
done
log "ready: S3 at http://127.0.0.1:$PORT (access key test:tester, secret testing), state in $D"
