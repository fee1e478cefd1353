#!/usr/bin/env bash
# Turn this Debian machine into a libvirt/QEMU host for `deltacloudd -i libvirt`:
#   1. install libvirt, QEMU and the tools the driver uses (genisoimage for cloud-init seeds);
#   2. give /dev/kvm its usual udev permissions (without udev it is root-only and libvirt
#      re-probes QEMU on every domain start);
#   3. start virtlogd + libvirtd by hand when systemd is not running them (idempotent);
#   4. define, build and autostart the driver's two dir storage pools.
# The daemons it starts by hand are recorded in /run/deltacloud-libvirt/*.pid; teardown.sh stops those only.
# Usage: scripts/libvirt/setup.sh [--no-install]
# Env: DC_LIBVIRT_URI (qemu:///system), DC_LIBVIRT_POOL (deltacloud), DC_LIBVIRT_IMAGE_POOL
#      (deltacloud-images), DC_LIBVIRT_DIR (/var/lib/libvirt/deltacloud): must match the driver's
#      options (pool, imagePool) when you change them.
set -euo pipefail
URI=${DC_LIBVIRT_URI:-qemu:///system}
POOL=${DC_LIBVIRT_POOL:-deltacloud}
IMAGE_POOL=${DC_LIBVIRT_IMAGE_POOL:-deltacloud-images}
BASE=${DC_LIBVIRT_DIR:-/var/lib/libvirt/deltacloud}
RUN=/run/deltacloud-libvirt
PACKAGES=(libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 qemu-utils genisoimage)

log() { echo "[libvirt-setup] $*"; }
t0=$(date +%s%N)
ms() { echo $(( ($(date +%s%N) - t0) / 1000000 )); }

if [[ ${1:-} != --no-install ]]; then
  missing=()
  for p in "${PACKAGES[@]}"; do [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == 'install ok installed' ]] || missing+=("$p"); done
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    if [[ $(id -u) -ne 0 ]]; then echo "setup.sh must run as root to install packages" >&2; exit 1; fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || apt-get update
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# Without udev, /dev/kvm is root:root 0600: give it the usual root:kvm 0660.
if [[ -c /dev/kvm ]] && getent group kvm >/dev/null; then chgrp kvm /dev/kvm && chmod 660 /dev/kvm || true; fi

mkdir -p "$RUN"
alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
if virsh -c "$URI" version >/dev/null 2>&1; then
  log "libvirtd already answers on $URI"
else
  if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null; then
    log "starting libvirtd through systemd"
    systemctl start virtlogd.socket libvirtd.socket libvirtd.service || systemctl start libvirtd
  else
    alive "$RUN/virtlogd.pid" || { rm -f "$RUN/virtlogd.pid"; virtlogd -d -p "$RUN/virtlogd.pid"; }
    alive "$RUN/libvirtd.pid" || { rm -f "$RUN/libvirtd.pid"; libvirtd -d -p "$RUN/libvirtd.pid"; }
  fi
  # First start probes QEMU's capabilities (~8 s on 2 cores); allow a loaded machine much more.
  for _ in $(seq 1 900); do virsh -c "$URI" version >/dev/null 2>&1 && break; sleep 0.1; done
  virsh -c "$URI" version >/dev/null || { echo "libvirtd did not come up on $URI" >&2; exit 1; }
  log "libvirtd ready after $(ms) ms"
fi

ensure_pool() { # name path
  local name=$1 path=$2
  if ! virsh -c "$URI" pool-info "$name" >/dev/null 2>&1; then
    mkdir -p "$path"
    virsh -c "$URI" pool-define-as "$name" dir --target "$path" >/dev/null
    virsh -c "$URI" pool-build "$name" >/dev/null 2>&1 || true
    log "defined pool $name at $path"
  fi
  virsh -c "$URI" pool-autostart "$name" >/dev/null 2>&1 || true
  # (libvirtd may be autostarting it right now: starting an active pool is no error here.)
  running() { [[ $(virsh -c "$URI" pool-info "$name" 2>/dev/null) =~ State:[[:space:]]+running ]]; }
  if ! running; then
    virsh -c "$URI" pool-start "$name" >/dev/null 2>&1 || running || { echo "cannot start storage pool $name" >&2; exit 1; }
  fi
  virsh -c "$URI" pool-refresh "$name" >/dev/null
}
ensure_pool "$IMAGE_POOL" "$BASE/images"
ensure_pool "$POOL" "$BASE/pool"
log "ready in $(ms) ms: $URI, pools $IMAGE_POOL ($BASE/images: the images) and $POOL ($BASE/pool: instance disks, seeds, serial logs, volumes, snapshots)"
