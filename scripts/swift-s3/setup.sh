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
RUN=$D/run LOGS=$D/log LOG_TAG=swift-s3
# shellcheck source-path=SCRIPTDIR source=../lib/swift.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/swift.sh"

need_packages "$INSTALL" swift swift-proxy swift-account swift-container swift-object python3-swiftclient memcached curl
mkdir -p "$RUN" "$LOGS" "$D/srv/node/sdb1"
swift_hash_conf

# --- rings and configuration (first run only) --------------------------------------------------
if [[ ! -f $D/object.ring.gz ]]; then
  log "building rings in $D"
  swift_build_rings "$D" "$BASE"
  swift_storage_confs "$D" "$BASE" "" "disable_fallocate = true"
  {
    swift_proxy_conf "$D" "$PORT" "$MC" "catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk tempurl s3api tempauth copy slo dlo versioned_writes symlink proxy-logging proxy-server"
    cat <<CONF
[filter:tempauth]
use = egg:swift#tempauth
user_admin_admin = admin .admin .reseller_admin
user_test_tester = testing .admin
user_test2_tester2 = testing2 .admin
[filter:s3api]
use = egg:swift#s3api
location = us-east-1
[filter:tempurl]
use = egg:swift#tempurl
[filter:versioned_writes]
use = egg:swift#versioned_writes
allow_versioned_writes = true
[filter:symlink]
use = egg:swift#symlink
CONF
  } > "$D/proxy-server.conf"
fi

start_memcached "$MC"
swift_start "$D" ""
swift_wait_healthy 30 "$BASE" "$PORT"
# tempauth must answer too (it needs memcached).
for _ in $(seq 1 100); do
  curl -sf -o /dev/null -H 'X-Auth-User: test:tester' -H 'X-Auth-Key: testing' "http://127.0.0.1:$PORT/auth/v1.0" && break
  sleep 0.1
done
log "ready: S3 at http://127.0.0.1:$PORT (access key test:tester, secret testing), state in $D"
