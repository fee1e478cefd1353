# shellcheck shell=bash
# Sourced by setup.sh and teardown.sh (and usable by hand: `. scripts/podman/env.sh; podman ps`): the
# podman command line then uses the service's own configuration and storage under $D.
D=${DC_PODMAN_DIR:-/tmp/deltacloud-podman}
SOCKET=$D/podman.sock
export CONTAINERS_CONF=$D/containers.conf
export CONTAINERS_STORAGE_CONF=$D/storage.conf
