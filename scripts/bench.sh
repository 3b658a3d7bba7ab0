#!/usr/bin/env bash
# `npm run bench`: builds the worker and a release upstash-local, then prints
# round trips per request, throughput ratios and the wasm size as tables, then
# edgecache side by side with @upstash/redis + @upstash/ratelimit under wrangler
# dev (tests/bench/compare.mjs; results in bench-results/).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH" WRANGLER_SEND_METRICS=false
bash scripts/setup.sh
bash scripts/ensure-redis.sh
bash scripts/build-worker.sh
cargo build --release -p upstash-local
echo "== cache operations (cargo bench --bench cache)"
cargo bench --bench cache
echo "== rate limiting (cargo bench --bench ratelimit)"
cargo bench --bench ratelimit
echo "== the worker's routes (Miniflare)"
UPSTASH_LOCAL_BIN="$PWD/target/release/upstash-local" node tests/bench/worker.mjs
echo "== side by side: edgecache vs @upstash/redis + @upstash/ratelimit (wrangler dev)"
UPSTASH_LOCAL_BIN="$PWD/target/release/upstash-local" node tests/bench/compare.mjs
