#!/usr/bin/env bash
# `npm run dev`: set up, apply the D1 migrations locally, build, and serve the
# worker with `wrangler dev` on 127.0.0.1:8787 (PORT overrides). Every setting
# the worker reads that is set in this shell (UPSTASH_*, CACHE_*, RATE_LIMIT_*,
# ADMIN_TOKEN, REDIS_URL, REDIS_PASSWORD) is passed on as a wrangler --var.
# With no Upstash configured, the in-memory cache is used.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
export WRANGLER_SEND_METRICS=false
bash scripts/setup.sh
CI=true wrangler d1 migrations apply DB --local

vars=()
while IFS= read -r name; do
  vars+=(--var "$name:${!name}")
done < <(compgen -e | grep -E '^(UPSTASH_[A-Z_]+|CACHE_[A-Z_]+|RATE_LIMIT_[A-Z_]+|ADMIN_TOKEN|REDIS_URL|REDIS_PASSWORD)$' || true)
[ ${#vars[@]} -eq 0 ] || printf '[dev] passing %s\n' "$(printf '%s ' "${vars[@]}" | sed -E 's/(TOKEN|PASSWORD):[^ ]*/\1:<redacted>/g')"

exec wrangler dev --ip 127.0.0.1 --port "${PORT:-8787}" "${vars[@]}"
