# shellcheck shell=bash
# Sourced by the scripts/*/setup.sh and teardown.sh scripts: PID bookkeeping that lets a teardown stop
# only what its setup started. The caller sets RUN (where NAME.pid and NAME.marker are kept) and, to
# use start and log, LOGS (where NAME.log goes) and LOG_TAG (the prefix of log lines).

t0=$(date +%s%N)
ms() { echo $(( ($(date +%s%N) - t0) / 1000000 )); }
log() { echo "[$LOG_TAG +$(ms) ms] $*"; }

# ours NAME: the recorded PID of NAME is alive and still the process we started (its command line holds
# the marker recorded with it), so a PID reused after a reboot or a CI cleanup is never mistaken for ours.
ours() {
  local f=$RUN/$1.pid pid marker
  [[ -f $f && -f $RUN/$1.marker ]] || return 1
  pid=$(cat "$f"); marker=$(cat "$RUN/$1.marker")
  [[ -n $marker ]] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker"
}

# terminate PID: SIGTERM, then SIGKILL if it has not exited after 10 s.
terminate() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

# stop_ours NAME: stops NAME if it is still ours and forgets it; prints the PID stopped (nothing, and
# status 1, when there was nothing of ours to stop).
stop_ours() {
  local pid status=1
  [[ -f $RUN/$1.pid ]] || return 1
  pid=$(cat "$RUN/$1.pid")
  if ours "$1"; then terminate "$pid"; echo "$pid"; status=0; fi
  rm -f "$RUN/$1.pid" "$RUN/$1.marker"
  return "$status"
}

# start NAME MARKER CMD...: runs CMD in its own session in the background, recording its PID and MARKER,
# a fragment of its command line that identifies it. CMD must not daemonize, so that $! is its PID.
start() {
  local name=$1 marker=$2; shift 2
  if ours "$name"; then log "$name already running (pid $(cat "$RUN/$name.pid"))"; return; fi
  printf '%s' "$marker" > "$RUN/$name.marker"
  setsid "$@" >"$LOGS/$name.log" 2>&1 </dev/null & echo $! > "$RUN/$name.pid"
}

# need_packages INSTALL PKG...: installs the missing Debian packages, or fails when INSTALL is 0.
need_packages() {
  local install=$1 p missing=(); shift
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
  (( ${#missing[@]} > 0 )) || return 0
  if (( install == 0 )); then echo "missing packages: ${missing[*]}" >&2; exit 1; fi
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  log "packages installed"
}
