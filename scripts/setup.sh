#!/usr/bin/env bash
# Idempotent set-up, run before `npm start` and `npm test`: installs the Debian tools the server
# and tests use (ffmpeg, PocketSphinx with its English model, flite, sox) and the npm dependencies,
# each only when missing or out of date.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(ffmpeg pocketsphinx pocketsphinx-en-us pocketsphinx-testdata flite sox)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# the Kawa-style client test runs a Python script that uses requests
if ! python3 -c 'import requests' 2>/dev/null; then
  echo "setup: installing python3-requests" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3 python3-requests >&2
fi

# the console's browser tests (test/console.test.ts) drive Debian's Chromium through playwright-core
# (which never downloads a browser): installed for `npm test` (pretest) or with SETUP_BROWSER=1,
# not for `npm start`
if { [ "${npm_lifecycle_event:-}" = "pretest" ] || [ "${SETUP_BROWSER:-}" = "1" ]; } && [ ! -x /usr/bin/chromium ]; then
  echo "setup: installing chromium for the browser tests" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >&2
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
fi
