#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine, for the container tests (test/containers/) and
# node-image/build.sh: a no-op when `docker info` already works; otherwise installs Debian's docker.io (when
# dockerd is missing) and starts dockerd in the background, as root. Idempotent; safe to run twice at once (flock).
#
#   scripts/docker-engine.sh            ensure the engine runs
#   scripts/docker-engine.sh --stop     stop the dockerd this script started (by its pid file)
#
# dockerd is tried with its defaults first (overlay2, the docker0 bridge, iptables NAT); if it does not come up,
# once more with the settings that need the least from the kernel (vfs storage, no iptables rules, bridged traffic
# kept out of iptables), which is enough for containers on one user-defined network with published ports through
# docker-proxy. Extra flags: DOCKERD_FLAGS="...". Log: /var/log/poolfleet-dockerd.log.
#
# On the CI machines (Debian bookworm, kernel 6.x, cgroup v1, root, no registry) the defaults work: install ~12 s
# (cold apt), start ~2 s.
set -euo pipefail

LOG=/var/log/poolfleet-dockerd.log
PIDFILE=/var/run/poolfleet-dockerd.pid
SOCK=/var/run/docker.sock

say() { echo "docker-engine: $*" >&2; }
die() {
  echo "docker-engine: ERROR: $*" >&2
  exit 1
}
answers() { docker info >/dev/null 2>&1; }

if [[ ${1:-} == --stop ]]; then
  if [[ -s $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    kill "$(cat "$PIDFILE")"
    for _ in $(seq 1 60); do kill -0 "$(cat "$PIDFILE")" 2>/dev/null || break; sleep 0.5; done
    rm -f "$PIDFILE"
    say "stopped"
  else
    say "no dockerd started by this script is running"
  fi
  exit 0
fi

if command -v docker >/dev/null 2>&1 && answers; then
  say "engine already running ($(docker version --format 'server {{.Server.Version}}' 2>/dev/null || echo '?'))"
  exit 0
fi
[[ $(id -u) == 0 ]] || die "no Docker engine answers and starting one needs root (sudo $0)"

exec 9>/var/lock/poolfleet-docker-engine.lock
flock 9
if command -v docker >/dev/null 2>&1 && answers; then exit 0; fi # started while we waited for the lock

if ! command -v dockerd >/dev/null 2>&1; then
  say "installing Debian's docker.io"
  t0=$SECONDS
  install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io >&2; }
  install || { apt-get update -qq >&2 && install; } || die "apt-get install docker.io failed"
  say "installed in $((SECONDS - t0)) s"
fi

# Start dockerd with the given flags; wait up to 60 s for it to answer. Returns non-zero if it exits or stays silent.
start() {
  say "starting dockerd $*"
  # setsid: the daemon outlives this script and the CI step's process group.
  # shellcheck disable=SC2086
  setsid dockerd --host="unix://$SOCK" --pidfile=/var/run/docker.pid "$@" $DOCKERD_FLAGS >>"$LOG" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$PIDFILE"
  for _ in $(seq 1 120); do
    if answers; then return 0; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$PIDFILE"
  say "dockerd $* did not come up; last lines of $LOG:"
  tail -5 "$LOG" >&2
  return 1
}

# Without docker's iptables rules, bridged traffic between containers must not go through the host's FORWARD chain:
# with br_netfilter loaded and a DROP policy (which an earlier dockerd leaves behind) it would be dropped silently.
minimal() {
  local f
  for f in /proc/sys/net/bridge/bridge-nf-call-iptables /proc/sys/net/bridge/bridge-nf-call-ip6tables; do
    if [[ -w $f ]]; then echo 0 >"$f"; fi
  done
  start --storage-driver=vfs --iptables=false
}

DOCKERD_FLAGS=${DOCKERD_FLAGS:-}
t0=$SECONDS
start || minimal || die "dockerd would not start (see $LOG); set DOCKERD_FLAGS to try other settings"
say "engine running ($(docker version --format 'server {{.Server.Version}}, storage ' 2>/dev/null)$(docker info --format '{{.Driver}}' 2>/dev/null)) after $((SECONDS - t0)) s; log $LOG"
