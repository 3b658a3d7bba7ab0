#!/usr/bin/env bash
# `npm run dev`: set up, apply the D1 migrations locally, and serve the worker
# and its dashboard with `wrangler dev` on 127.0.0.1:8787 (PORT overrides;
# wrangler.toml's [build] builds the wasm).
#
# Settings and secrets reach the worker through `.dev.vars` (mode 0600,
# gitignored), never the command line: scripts/dev-vars.mjs copies in the
# settings exported in this shell (UPSTASH_*, CACHE_*, RATE_LIMIT_*,
# AUTH_FAILURE_*, API_KEY_*, HEALTH_CACHE_MS, MAX_USER_OVERRIDES_PER_TENANT,
# ADMIN_TOKEN, REDIS_URL, REDIS_PASSWORD), makes a random ADMIN_TOKEN (at
# least 32 characters, as the worker requires), printed once, when there is
# none, and a random API_KEY_SECRET (never printed).
# With no Upstash configured, the in-memory cache is used.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
export WRANGLER_SEND_METRICS=false
bash scripts/setup.sh
CI=true wrangler d1 migrations apply DB --local
# REDIS_URL=redis://… (the TypeScript setups' local default) is served
# through upstash-local; see scripts/front-redis-url.sh.
source scripts/front-redis-url.sh
front_redis_url
node scripts/dev-vars.mjs

port=${PORT:-8787}
printf '[dev] dashboard: http://127.0.0.1:%s/ (sign in with the ADMIN_TOKEN)\n' "$port"
# Not exec: upstash-local, if started above, stops when this script ends.
wrangler dev --ip 127.0.0.1 --port "$port"
