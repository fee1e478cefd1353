#!/usr/bin/env bash
# Stops the Podman service scripts/podman/setup.sh started (its recorded PID only) after removing the
# containers the driver created (label org.deltacloud.driver). --purge also removes the state
# directory (images, volumes, configuration).
set -uo pipefail
D=${DC_PODMAN_DIR:-/tmp/deltacloud-podman}
RUN=$D/run
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/common.sh"
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/env.sh"
if [[ -f $CONTAINERS_CONF ]] && command -v podman >/dev/null; then
  podman ps -aq --filter label=org.deltacloud.driver | xargs -r podman rm -f >/dev/null 2>&1 || true
fi
if pid=$(stop_ours service); then echo "stopped podman service ($pid)"; fi
if [[ ${1:-} == --purge ]]; then
  podman system reset -f >/dev/null 2>&1 || true
  rm -rf "$D"; echo "removed $D"
fi
exit 0
