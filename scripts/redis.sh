#!/usr/bin/env bash
# Install (Debian's redis-server, when missing) and run a Redis for the pipeline.
# Usage: scripts/redis.sh {install|start|stop|status}
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
local_dir=${PULSE_LOCAL:-$root/.local}
dir=$local_dir/redis
port=${REDIS_PORT:-6379}

install() {
  command -v redis-server >/dev/null && return 0
  echo "installing Debian's redis-server"
  if [[ $(id -u) -eq 0 ]]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server >/dev/null
}

ready() { redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; }

start() {
  if ready; then echo "redis already running on 127.0.0.1:$port"; return 0; fi
  install
  mkdir -p "$dir"
  redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --dir "$dir" \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --save "" --appendonly no
  for _ in $(seq 1 50); do ready && { echo "redis ready on 127.0.0.1:$port"; return 0; }; sleep 0.2; done
  echo "redis did not become ready; see $dir/redis.log" >&2
  return 1
}

stop() {
  if ready; then redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; fi
  echo "redis stopped"
}

status() { if ready; then echo "redis up"; else echo "redis down"; return 1; fi; }

case ${1:-} in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 {install|start|stop|status}" >&2; exit 2 ;;
esac
