#!/usr/bin/env bash
# Stops what scripts/openstack/setup.sh started: only the recorded PIDs, and only while each still runs
# the command recorded with it. --purge also removes the state (Keystone database, Swift rings and data).
set -uo pipefail
D=${OS_TEST_DIR:-/tmp/deltacloud-openstack}
for n in swift-proxy swift-object swift-container swift-account keystone memcached; do
  f=$D/run/$n.pid; [[ -f $f ]] || continue
  pid=$(cat "$f"); marker=$(cat "$D/run/$n.marker" 2>/dev/null || true)
  if [[ -n $marker ]] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker"; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    echo "stopped $n ($pid)"
  fi
  rm -f "$f" "$D/run/$n.marker"
done
if [[ ${1:-} == --purge ]]; then rm -rf "$D"; echo "removed $D"; fi
exit 0
