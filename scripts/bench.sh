#!/usr/bin/env bash
# `npm run bench`: builds the worker and a release upstash-local, then prints
# round trips per request and throughput ratios as tables, the wasm's size and
# its ten largest contributors (twiggy, installed here once if missing), then
# edgecache side by side with @upstash/redis + @upstash/ratelimit under wrangler
# dev (tests/bench/compare.mjs; table, JSON and SVG chart in bench-results/).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH" WRANGLER_SEND_METRICS=false
bash scripts/setup.sh
bash scripts/ensure-redis.sh
bash scripts/build-worker.sh
cargo build --release -p upstash-local
if ! command -v twiggy >/dev/null 2>&1; then
  echo "[bench] installing twiggy (wasm size profiler; a few minutes, once)"
  cargo install --locked twiggy || echo "[bench] twiggy did not install; the size table will say so"
fi
# The same code with function names, for twiggy (the deployed wasm has none).
cargo build --lib --target wasm32-unknown-unknown --profile worker-names --features worker-app
echo "== size (build/; twiggy on the named build)"
node tests/bench/size.mjs
echo "== cache operations (cargo bench --bench cache)"
cargo bench --bench cache
echo "== rate limiting (cargo bench --bench ratelimit)"
cargo bench --bench ratelimit
echo "== the worker's routes (Miniflare)"
UPSTASH_LOCAL_BIN="$PWD/target/release/upstash-local" node tests/bench/worker.mjs
echo "== side by side: edgecache vs @upstash/redis + @upstash/ratelimit (wrangler dev)"
UPSTASH_LOCAL_BIN="$PWD/target/release/upstash-local" node tests/bench/compare.mjs
