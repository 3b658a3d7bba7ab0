#!/usr/bin/env bash
# Installs what building the worker needs, skipping whatever is already there,
# so a warm machine pays nothing: the wasm32 target, worker-build (same minor
# version as the `worker` crate), wasm-bindgen-cli (exactly the wasm-bindgen
# version in Cargo.lock), and the npm packages (wrangler, miniflare, esbuild,
# binaryen's wasm-opt). Everything comes from crates.io and npm, nothing from
# GitHub (see ../shared/reference/toolchain.md).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '[setup] %s\n' "$*"; }

locked_version() { # the version Cargo.lock pins for crate $1
  awk -v name="$1" '$0 == "name = \"" name "\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

worker_version=$(locked_version worker)
worker_minor=${worker_version%.*}
have_worker_build=$(worker-build --version 2>/dev/null | awk '{print $NF}' || true)
if [ "${have_worker_build%.*}" != "$worker_minor" ]; then
  say "installing worker-build ~$worker_minor (worker $worker_version; takes a few minutes once)"
  cargo install --locked worker-build --version "~$worker_minor"
fi

bindgen_version=$(locked_version wasm-bindgen)
have_bindgen=$("$HOME/.cargo/bin/wasm-bindgen" --version 2>/dev/null | awk '{print $NF}' || true)
if [ "$have_bindgen" != "$bindgen_version" ]; then
  say "installing wasm-bindgen-cli $bindgen_version (takes a couple of minutes once)"
  # --locked builds what its authors tested. 0.2.130's published lockfile pins
  # webpki-roots 1.0.11, which crates.io no longer serves, so that fails in a
  # few seconds at resolution; only then resolve afresh (semver-compatible).
  if ! cargo install --locked wasm-bindgen-cli --version "=$bindgen_version"; then
    say "its lockfile does not resolve against crates.io today; installing without --locked"
    cargo install wasm-bindgen-cli --version "=$bindgen_version"
  fi
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  npm ci --no-fund --no-audit
fi
