#!/usr/bin/env bash
# Undo scripts/libvirt/setup.sh on a test machine:
#   * power off the running domains the libvirt driver created (its metadata marks them), so
#     libvirtd stops cleanly; other domains are left alone;
#   * stop libvirtd and virtlogd if setup.sh started them by hand (by their recorded PIDs only).
# With --purge, also undefine the driver's domains, delete the driver's two pools and their files.
# Usage: scripts/libvirt/teardown.sh [--purge]     (same DC_LIBVIRT_* variables as setup.sh)
set -uo pipefail
URI=${DC_LIBVIRT_URI:-qemu:///system}
POOL=${DC_LIBVIRT_POOL:-deltacloud}
IMAGE_POOL=${DC_LIBVIRT_IMAGE_POOL:-deltacloud-images}
BASE=${DC_LIBVIRT_DIR:-/var/lib/libvirt/deltacloud}
RUN=/run/deltacloud-libvirt
NS=http://deltacloud.apache.org/ns/libvirt/1
PURGE=0; [[ ${1:-} == --purge ]] && PURGE=1
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/common.sh"
log() { echo "[libvirt-teardown] $*"; }

if command -v virsh >/dev/null && virsh -c "$URI" version >/dev/null 2>&1; then
  while read -r dom; do
    [[ -n $dom ]] || continue
    [[ $(virsh -q -c "$URI" dumpxml --domain "$dom" 2>/dev/null) == *"$NS"* ]] || continue
    if [[ $(virsh -q -c "$URI" domstate --domain "$dom" 2>/dev/null) != "shut off" ]]; then
      virsh -q -c "$URI" destroy --domain "$dom" >/dev/null 2>&1 && log "powered off $dom"
    fi
    if ((PURGE)); then virsh -q -c "$URI" undefine --domain "$dom" --nvram >/dev/null 2>&1 && log "undefined $dom"; fi
  done < <(virsh -q -c "$URI" list --all --name 2>/dev/null)
  if ((PURGE)); then
    for p in "$POOL" "$IMAGE_POOL"; do
      virsh -q -c "$URI" pool-info "$p" >/dev/null 2>&1 || continue
      virsh -q -c "$URI" pool-destroy "$p" >/dev/null 2>&1
      virsh -q -c "$URI" pool-undefine "$p" >/dev/null 2>&1 && log "removed pool $p"
    done
    rm -rf "$BASE" && log "removed $BASE"
  fi
fi

# The daemons write these PID files themselves, so there is no marker to check: a live PID is stopped.
for n in libvirtd virtlogd; do
  f=$RUN/$n.pid
  [[ -f $f ]] || continue
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then terminate "$pid"; log "stopped $n ($pid)"; fi
  rm -f "$f"
done
exit 0
