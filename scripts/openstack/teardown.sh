#!/usr/bin/env bash
# Stops what scripts/openstack/setup.sh started: only the recorded PIDs, and only while each still runs
# the command recorded with it. --purge also removes the state (Keystone database, Swift rings and data).
set -uo pipefail
D=${OS_TEST_DIR:-/tmp/deltacloud-openstack}
RUN=$D/run
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/common.sh"
for n in swift-proxy swift-object swift-container swift-account keystone memcached; do
  if pid=$(stop_ours "$n"); then echo "stopped $n ($pid)"; fi
done
if [[ ${1:-} == --purge ]]; then rm -rf "$D"; echo "removed $D"; fi
exit 0
