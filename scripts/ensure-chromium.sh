#!/usr/bin/env bash
# Makes sure Debian's Chromium is at /usr/bin/chromium, for the browser tests
# (tests/browser/, driven by playwright-core). Installs the `chromium` package
# when it is missing; does nothing when it is there. Playwright's own browser
# download is never used: it needs the internet, and these tests run offline.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo present)"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo -n)
else
  echo "ensure-chromium: /usr/bin/chromium is missing and this user cannot install it (not root, no sudo)" >&2
  exit 1
fi

echo "chromium: installing Debian's chromium package"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core

if [ ! -x /usr/bin/chromium ]; then
  echo "ensure-chromium: the chromium package installed, but /usr/bin/chromium is still missing" >&2
  exit 1
fi
echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo installed)"
