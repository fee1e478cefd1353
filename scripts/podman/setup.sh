#!/usr/bin/env bash
# A Podman service for `deltacloudd -i podman` and its tests, with its own socket, configuration and
# storage under one directory (default /tmp/deltacloud-podman), apart from any Podman of the host:
#   1. install podman, runc and busybox-static (skipped with --no-install);
#   2. write containers.conf and storage.conf (runc with cgroupfs: crun fails on this host's hybrid
#      cgroups; lower default ulimits: the default ones are refused here; no network namespace by
#      default: no registry or outside network is reachable);
#   3. start `podman system service --time=0 unix://$D/podman.sock` (recorded in $D/run) and wait
#      until it answers;
#   4. build the test image `localhost/deltacloud/busybox:latest` from a busybox-static rootfs with
#      `podman import` (no registry is needed): its command waits for SIGTERM and exits at once.
# Idempotent: a service still running is kept, an image already there is not rebuilt.
# Usage: scripts/podman/setup.sh [--no-install]   Env: DC_PODMAN_DIR (/tmp/deltacloud-podman)
# Prints the socket URL last. scripts/podman/teardown.sh stops the service (--purge: and removes $D).
set -euo pipefail
D=${DC_PODMAN_DIR:-/tmp/deltacloud-podman}
RUN=$D/run
LOGS=$D/log
LOG_TAG=podman-setup
IMAGE=localhost/deltacloud/busybox:latest
PACKAGES=(podman runc busybox-static)
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/common.sh"
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/env.sh"

[[ ${1:-} == --no-install ]] && install=0 || install=1
need_packages "$install" "${PACKAGES[@]}"
command -v podman >/dev/null || { echo "podman is not installed (run without --no-install)" >&2; exit 1; }

mkdir -p "$RUN" "$LOGS" "$D/storage" "$D/runroot" "$D/tmp"
# Settings from /work/shared/backends/examples/podman-containers.conf (the notes on this machine's back ends).
cat > "$D/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
netns = "none"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$D/events.log"
runtime = "runc"
tmp_dir = "$D/tmp"
CONF
cat > "$D/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$D/storage"
runroot = "$D/runroot"
CONF

alive() { curl -sf --unix-socket "$SOCKET" http://d/_ping >/dev/null 2>&1; }
# A service started from a directory since deleted (a removed git worktree) still answers, but every
# container it prepares fails ("exit status 1"): stop it, and start services from $D.
pid=$(cat "$RUN/service.pid" 2>/dev/null || true)
if [[ -n $pid && $(readlink "/proc/$pid/cwd" 2>/dev/null) == *' (deleted)' ]]; then
  log "the service (pid $pid) runs in a deleted directory: restarting it"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do alive || break; sleep 0.1; done
fi
cd "$D"
if alive; then
  log "the service already answers on $SOCKET"
else
  rm -f "$SOCKET"
  start service "$SOCKET" podman system service --time=0 "unix://$SOCKET"
  for _ in $(seq 1 300); do alive && break; sleep 0.1; done
  alive || { echo "podman system service did not come up on $SOCKET (see $LOGS/service.log)" >&2; exit 1; }
  log "service ready on $SOCKET"
fi

if podman image exists "$IMAGE"; then
  log "image $IMAGE already there"
else
  # busybox-static's /bin/busybox needs no libraries inside the image.
  BUSYBOX=$(command -v busybox) || { echo "busybox is not installed (busybox-static)" >&2; exit 1; }
  rootfs=$(mktemp -d "$D/tmp/rootfs.XXXXXX")
  mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/etc" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev" "$rootfs/data"
  cp "$BUSYBOX" "$rootfs/bin/busybox"
  for applet in $("$rootfs/bin/busybox" --list); do [[ -e $rootfs/bin/$applet ]] || ln -s busybox "$rootfs/bin/$applet"; done
  echo 'root:x:0:0:root:/:/bin/sh' > "$rootfs/etc/passwd"
  tar -C "$rootfs" -cf "$D/tmp/rootfs.tar" .
  # PID 1 ignores signals it does not handle: the trap makes a graceful stop end at once.
  podman import --change 'CMD ["/bin/sh", "-c", "trap \"exit 0\" TERM; while :; do sleep 1 & wait $!; done"]' \
    --change 'ENV PATH=/bin' "$D/tmp/rootfs.tar" "$IMAGE" >/dev/null 2>&1
  rm -rf "$rootfs" "$D/tmp/rootfs.tar"
  log "built $IMAGE"
fi
echo "unix://$SOCKET"
