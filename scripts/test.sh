#!/usr/bin/env bash
# `npm test`: set up, make sure Redis and Chromium are there, then every test:
# the native Rust tests (library, upstash-local, and the client against
# upstash-local over real Redis), upstash-local driven by the real
# @upstash/redis and @upstash/ratelimit, the built worker in Miniflare (workerd) with
# a local D1, a user's own worker over the library (examples/user-worker) in
# Miniflare too, and the dashboard in headless Chromium against that worker
# (screenshots in test-results/screenshots/).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
bash scripts/setup.sh
case "${REDIS_URL:-}" in
  redis://*) echo "[redis] REDIS_URL is a redis:// URL: the suites serve it to the worker through upstash-local (the value is not shown)" ;;
  *) bash scripts/ensure-redis.sh ;;
esac
bash scripts/ensure-chromium.sh

echo "== lint (rustfmt, clippy native and wasm32, rustdoc, cargo package)"
# Warnings are errors here, so the code that lands is the code that lints.
cargo fmt --all --check
cargo clippy --workspace --all-targets --features edgecache/worker-app,edgecache/testing -- -D warnings
cargo clippy -p edgecache -p user-worker --target wasm32-unknown-unknown --features edgecache/worker-app -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -p edgecache --features worker-app
bash scripts/package-check.sh

echo "== cargo test (native, with the README's and the docs' examples)"
cargo test --workspace --features edgecache/worker-app,edgecache/testing

echo "== worker build"
bash scripts/build-worker.sh
# A user's worker of its own (examples/user-worker), over edgecache's default features.
bash scripts/build-user-worker.sh
# The upstash-local binary the worker tests start: cargo test built it for
# upstash-local's own tests (building it again with other features costs ~20 s).
[ -x target/debug/upstash-local ] || cargo build -p upstash-local

echo "== upstash-local with the real JS clients (@upstash/redis, @upstash/ratelimit)"
# Each suite starts its own Redis and upstash-local. The interop suite also
# runs edgecache's limiter as the ratelimit_peer example (the features of
# cargo test above, so only the example is built, if anything).
cargo build --example ratelimit_peer --features edgecache/worker-app,edgecache/testing
node --test --test-concurrency=2 tests/upstash-local/

echo "== worker tests (Miniflare)"
export WRANGLER_SEND_METRICS=false
node --test --test-concurrency=2 tests/worker/

echo "== user worker (Miniflare)"
node --test tests/user-worker/

echo "== dashboard tests (Chromium)"
node --test --test-concurrency=1 tests/browser/
