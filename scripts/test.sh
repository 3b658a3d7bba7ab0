#!/usr/bin/env bash
# `npm test`: set up, make sure Redis and Chromium are there, then every test:
# the native Rust tests (library, upstash-local, and the client against
# upstash-local over real Redis), the built worker in Miniflare (workerd) with
# a local D1, and the dashboard in headless Chromium against that worker
# (screenshots in test-results/screenshots/).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
bash scripts/setup.sh
bash scripts/ensure-redis.sh
bash scripts/ensure-chromium.sh

echo "== cargo test (native)"
cargo test --workspace --features edgecache/worker-app,edgecache/testing

echo "== worker build"
bash scripts/build-worker.sh
# The upstash-local binary the worker tests start: cargo test built it for
# upstash-local's own tests (building it again with other features costs ~20 s).
[ -x target/debug/upstash-local ] || cargo build -p upstash-local

echo "== worker tests (Miniflare)"
export WRANGLER_SEND_METRICS=false
node --test --test-concurrency=2 tests/worker/

echo "== dashboard tests (Chromium)"
node --test --test-concurrency=1 tests/browser/
