# shellcheck shell=bash
# Sourced by scripts/openstack/setup.sh and scripts/swift-s3/setup.sh: the single-node Swift both bring
# up (packages, rings, storage servers, the proxy's common middleware, memcached, health checks). Each
# keeps only its own authentication in its proxy pipeline. The caller sets RUN, LOGS and LOG_TAG (common.sh).

# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/common.sh"

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_http() { # url seconds
  local i; for (( i = 0; i < $2 * 10; i++ )); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "not answering: $1 (logs in $LOGS)" >&2; return 1
}

# install_conf NAME FILE: moves FILE.new over FILE; a running NAME whose configuration changed is stopped
# so that it restarts with the new one.
install_conf() {
  if [[ -f $2 ]] && cmp -s "$2.new" "$2"; then rm -f "$2.new"; return; fi
  mv "$2.new" "$2"
  if ours "$1"; then log "configuration of $1 changed: restarting it"; stop_ours "$1" >/dev/null || true; fi
}

# Swift reads the hash prefix/suffix from this fixed path; Debian ships one. Never overwrite it (shared).
swift_hash_conf() {
  [[ ! -f /etc/swift/swift.conf ]] || return 0
  mkdir -p /etc/swift
  cat > /etc/swift/swift.conf <<CONF
[swift-hash]
swift_hash_path_suffix = deltacloud-swift-s3
swift_hash_path_prefix = deltacloud
[storage-policy:0]
name = Policy-0
default = yes
CONF
  log "wrote /etc/swift/swift.conf"
}

# The storage servers listen on BASE (object), BASE+1 (container), BASE+2 (account).
swift_build_rings() { # dir base
  local n i=0
  for n in object container account; do
    swift-ring-builder "$1/$n.builder" create 10 1 1 >/dev/null
    swift-ring-builder "$1/$n.builder" add "r1z1-127.0.0.1:$(($2 + i))/sdb1" 100 >/dev/null
    swift-ring-builder "$1/$n.builder" rebalance >/dev/null || true
    i=$((i + 1))
  done
}

# swift_storage_confs DIR BASE NAME_PREFIX [LINE...]: the three storage servers' configurations, with the
# LINEs added to [DEFAULT]; a running server (NAME_PREFIX + object|container|account) restarts on a change.
swift_storage_confs() {
  local dir=$1 base=$2 prefix=$3 n i=0 extra=''; shift 3
  (( $# == 0 )) || extra=$(printf '%s\n' "$@")
  for n in object container account; do
    cat > "$dir/$n-server.conf.new" <<CONF
[DEFAULT]
devices = $dir/srv/node
mount_check = false
${extra:+$extra
}bind_ip = 127.0.0.1
bind_port = $((base + i))
workers = 1
user = root
swift_dir = $dir
log_level = WARNING
[pipeline:main]
pipeline = healthcheck $n-server
[app:$n-server]
use = egg:swift#$n
[filter:healthcheck]
use = egg:swift#healthcheck
[$n-replicator]
[$n-updater]
[$n-auditor]
CONF
    install_conf "$prefix$n" "$dir/$n-server.conf"
    i=$((i + 1))
  done
}

# swift_proxy_conf DIR PORT MEMCACHED_PORT PIPELINE: prints the proxy configuration up to the
# middleware both set-ups use; the caller appends the [filter:...] sections of its own.
swift_proxy_conf() {
  cat <<CONF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $2
workers = 1
user = root
swift_dir = $1
log_level = WARNING
[pipeline:main]
pipeline = $4
[app:proxy-server]
use = egg:swift#proxy
allow_account_management = true
account_autocreate = true
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$3
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:bulk]
use = egg:swift#bulk
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
CONF
}

# start_memcached PORT: reuses whatever already listens on PORT (another set-up's memcached), else
# starts our own, in the foreground of its own background job so that $! is its real PID.
start_memcached() {
  if ours memcached; then
    log "memcached already running (pid $(cat "$RUN/memcached.pid"))"
  elif listening "$1"; then
    log "memcached port $1 already in use by another process: reusing it"
  else
    # The marker is more than "-p PORT": Debian's own memcached runs with "-p 11211" too.
    start memcached "-p $1 -m 64 -U 0" memcached -u memcache -l 127.0.0.1 -p "$1" -m 64 -U 0
  fi
}

# swift_start DIR NAME_PREFIX: the storage servers and the proxy, each marked by its configuration file.
swift_start() {
  local n
  for n in object container account; do
    start "$2$n" "$1/$n-server.conf" "/usr/bin/swift-$n-server" "$1/$n-server.conf"
  done
  start "${2}proxy" "$1/proxy-server.conf" /usr/bin/swift-proxy-server "$1/proxy-server.conf"
}

# swift_wait_healthy SECONDS BASE PROXY_PORT: every server answers its /healthcheck.
swift_wait_healthy() {
  local p
  for p in "$2" "$(($2 + 1))" "$(($2 + 2))" "$3"; do wait_http "http://127.0.0.1:$p/healthcheck" "$1"; done
}
