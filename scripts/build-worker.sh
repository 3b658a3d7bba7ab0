#!/usr/bin/env bash
# Builds the reference worker into build/ (build/index.js + wasm) with worker-build,
# offline: wasm-bindgen, wasm-opt and esbuild come from cargo and npm, not GitHub.
# Wrangler runs this as its [build] command; EDGECACHE_SKIP_BUILD=1 makes it a no-op
# for callers that have just built (tests running `wrangler deploy --dry-run`).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${EDGECACHE_SKIP_BUILD:-}" = 1 ] && [ -f build/index.js ]; then
  exit 0
fi
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$HOME/.cargo/bin/wasm-bindgen}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$PWD/node_modules/.bin/wasm-opt}"
export ESBUILD_BIN="${ESBUILD_BIN:-$PWD/node_modules/.bin/esbuild}"
# The `worker` profile (Cargo.toml) optimises for size and drops function
# names; EDGECACHE_BUILD_PROFILE=worker-names keeps them (for
# tests/bench/profile.mjs). `worker-app` turns on the reference worker's fetch
# handler, which the library alone never exports.
exec worker-build --profile "${EDGECACHE_BUILD_PROFILE:-worker}" . --features worker-app
