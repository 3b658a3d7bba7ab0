#!/usr/bin/env bash
# Makes sure a redis-server answers on 127.0.0.1:6379: leaves a running one
# alone, starts one if the binary is there, installs it (Debian's package) if not.
#
# The Redis this starts keeps nothing on disk (--save "", no AOF) and is gone
# at reboot. Installing the package also starts and enables Debian's own
# service, which saves to /var/lib/redis and comes back at boot; the tests need
# neither, so that service is stopped and disabled right after the install.
set -euo pipefail
say() { printf '[redis] %s\n' "$*"; }

redis_answers() {
  # PING over /dev/tcp, so this needs no redis-cli.
  (exec 3<>/dev/tcp/127.0.0.1/6379 && printf 'PING\r\n' >&3 && IFS= read -r -t 2 reply <&3 && [[ $reply == +PONG* ]]) 2>/dev/null
}

as_root() {
  # No sudo when already root; `sudo -n` fails at once instead of waiting for
  # a password nobody can type (CI has no terminal).
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

install_redis() {
  say "installing redis-server (Debian's package)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null
  say "stopping and disabling the package's own service (it saves to disk and starts at boot)"
  if [ -d /run/systemd/system ]; then
    as_root systemctl disable --now redis-server >/dev/null 2>&1 || true
  else
    as_root service redis-server stop >/dev/null 2>&1 || true
    as_root update-rc.d redis-server disable >/dev/null 2>&1 || true
  fi
}

if redis_answers; then
  exit 0
fi
command -v redis-server >/dev/null 2>&1 || install_redis
say "starting redis-server on 127.0.0.1:6379 (nothing saved to disk)"
redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
for _ in $(seq 50); do
  redis_answers && exit 0
  sleep 0.1
done
say "redis-server did not answer on 127.0.0.1:6379" >&2
exit 1
