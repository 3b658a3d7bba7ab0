#!/usr/bin/env bash
# Packages the edgecache crate as `cargo publish` would (and builds it from
# the package, as the registry's users will) and fails on any warning of
# cargo's (missing metadata, a target whose file does not ship, ...) or on a
# file that should not ship. Extra arguments go to cargo (e.g. --offline).
set -euo pipefail
cd "$(dirname "$0")/.."

list=$(cargo package -p edgecache --allow-dirty --list "$@")
# The Node, browser and load suites, the dashboard, docs, scripts, D1
# migrations, upstash-local and the user worker stay in the repository.
if stray=$(grep -E '^(www|docs|scripts|migrations|upstash-local|node_modules|build|examples/user-worker|tests/(worker|browser|upstash-local|user-worker|load|support|bench/js-worker))/|\.(mjs|js|png|sql)$|(^|/)(package|package-lock|tsconfig)\.json$|^wrangler\.toml$' <<<"$list"); then
  echo "package-check: these files should not ship in the crate:" >&2
  echo "$stray" >&2
  exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! cargo package -p edgecache --allow-dirty "$@" 2>"$log"; then
  cat "$log" >&2
  echo "package-check: cargo package failed" >&2
  exit 1
fi
cat "$log" >&2
if grep -qi 'warning' "$log"; then
  echo "package-check: cargo package warned (above); fix the manifest" >&2
  exit 1
fi
echo "package-check: edgecache packages without warnings"
