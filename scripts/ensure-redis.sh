#!/usr/bin/env bash
# Makes sure a redis-server answers on 127.0.0.1:6379: leaves a running one
# alone, starts one if the binary is there, installs it (Debian's package) if not.
set -euo pipefail
say() { printf '[redis] %s\n' "$*"; }

redis_answers() {
  # PING over /dev/tcp, so this needs no redis-cli.
  (exec 3<>/dev/tcp/127.0.0.1/6379 && printf 'PING\r\n' >&3 && IFS= read -r -t 2 reply <&3 && [[ $reply == +PONG* ]]) 2>/dev/null
}

if redis_answers; then
  exit 0
fi
if ! command -v redis-server >/dev/null 2>&1; then
  say "installing redis-server"
  sudo_if_needed=""
  [ "$(id -u)" -eq 0 ] || sudo_if_needed="sudo"
  $sudo_if_needed apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_if_needed apt-get install -y -qq redis-server >/dev/null
fi
say "starting redis-server on 127.0.0.1:6379"
redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
for _ in $(seq 50); do
  redis_answers && exit 0
  sleep 0.1
done
say "redis-server did not answer on 127.0.0.1:6379" >&2
exit 1
