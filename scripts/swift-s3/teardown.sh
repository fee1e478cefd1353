#!/usr/bin/env bash
# Stops what scripts/swift-s3/setup.sh started: only the recorded PIDs, and only while each still runs
# the command recorded with it (each Swift server stops its own workers). --purge also removes the state
# directory (rings, objects, logs).
set -uo pipefail
D=${SWIFT_S3_DIR:-/tmp/deltacloud-swift-s3}
RUN=$D/run
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/common.sh"
for n in proxy object container account memcached; do
  if pid=$(stop_ours "$n"); then echo "stopped $n ($pid)"; fi
done
if [[ ${1:-} == --purge ]]; then rm -rf "$D"; echo "removed $D"; fi
exit 0
