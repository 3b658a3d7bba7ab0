#!/usr/bin/env bash
# Builds examples/user-worker (a user's own worker over edgecache, default
# features) into examples/user-worker/build/ with worker-build, offline as
# scripts/build-worker.sh does: wasm-bindgen, wasm-opt and esbuild come from
# cargo and npm, not GitHub. The crate is a workspace member, so it shares
# Cargo.lock, target/ and the root's `worker` profile (size over speed).
set -euo pipefail
cd "$(dirname "$0")/.."
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$HOME/.cargo/bin/wasm-bindgen}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$PWD/node_modules/.bin/wasm-opt}"
export ESBUILD_BIN="${ESBUILD_BIN:-$PWD/node_modules/.bin/esbuild}"
cd examples/user-worker
exec worker-build --profile worker .
