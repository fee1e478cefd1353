#!/usr/bin/env bash
# Stops what scripts/swift-s3/setup.sh started (only the recorded PIDs; each Swift server stops its own
# workers). --purge also removes the state directory (rings, objects, logs).
set -uo pipefail
D=${SWIFT_S3_DIR:-/tmp/deltacloud-swift-s3}
for n in proxy object container account memcached; do
  f=$D/run/$n.pid; [[ -f $f ]] || continue
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    echo "stopped $n ($pid)"
  fi
  rm -f "$f"
done
if [[ ${1:-} == --purge ]]; then rm -rf "$D"; echo "removed $D"; fi
exit 0
