#!/usr/bin/env bash
# A Docker engine for storeshift's container backend, on a machine that has none.
#
#   scripts/docker-engine.sh start   installs Debian's docker.io when dockerd is missing (root only) and
#                                    starts dockerd, unless an engine already answers (then it is used as is)
#   scripts/docker-engine.sh stop    stops the dockerd this script started (by its pidfile), nothing else
#   scripts/docker-engine.sh answers exit 0 when an engine answers (jobs stop only an engine they started)
#
# dockerd runs with no bridge and no iptables rules: every storeshift container uses host networking
# and binds 127.0.0.1 (docs/docker.md), so the engine needs no network of its own and touches no
# firewall state. Failing to start an engine is not an error: storeshift reports the Docker scenarios
# as not run, with the reason.
set -uo pipefail

PIDFILE=/run/storeshift-dockerd.pid
LOG=${STORESHIFT_DOCKERD_LOG:-/tmp/storeshift-dockerd.log}

engine_answers() {
  command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1
}

start() {
  if engine_answers; then
    echo "docker-engine: an engine already answers; using it as it is"
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "docker-engine: no engine answers and not root; Docker scenarios will be reported as not run"
    return 0
  fi
  if ! command -v dockerd >/dev/null 2>&1; then
    echo "== apt: docker.io (the engine for the testcontainers backend)"
    export DEBIAN_FRONTEND=noninteractive
    # docker.io's own service is never started here (no systemd); this script owns the daemon
    if ! { apt-get update -q && apt-get install -y -q --no-install-recommends docker.io; }; then
      echo "docker-engine: installing docker.io failed; Docker scenarios will be reported as not run"
      return 0
    fi
  fi
  if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    echo "docker-engine: dockerd $(cat "$PIDFILE") is starting; waiting for it"
  else
    echo "docker-engine: starting dockerd (no bridge, no iptables; log $LOG)"
    # setsid: the daemon must not receive the terminal's SIGINT meant for the test run
    setsid dockerd --bridge=none --iptables=false --ip6tables=false \
      --pidfile="$PIDFILE" >"$LOG" 2>&1 </dev/null &
  fi
  for _ in $(seq 1 60); do
    if engine_answers; then
      echo "docker-engine: dockerd $(cat "$PIDFILE" 2>/dev/null) answers ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
      return 0
    fi
    sleep 1
  done
  echo "docker-engine: dockerd did not answer within 60 s; last log lines:"
  tail -5 "$LOG" 2>/dev/null
  return 0
}

stop() {
  [ -f "$PIDFILE" ] || return 0
  local pid
  pid=$(cat "$PIDFILE")
  if kill -0 "$pid" 2>/dev/null; then
    echo "docker-engine: stopping dockerd $pid"
    kill -TERM "$pid"
    for _ in $(seq 1 30); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$PIDFILE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  answers) engine_answers ;;
  *)
    echo "usage: $0 start|stop|answers" >&2
    exit 2
    ;;
esac
