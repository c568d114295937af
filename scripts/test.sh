#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine, then runs it.
# Safe to run again: each step checks before it installs.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-postgres.sh

# Browser tests drive Debian's Chromium through playwright-core (no browser download).
if ! command -v chromium >/dev/null 2>&1; then
  echo "test.sh: installing Debian chromium for the browser tests"
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" = "0" ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium >/dev/null
fi

# The compose files are validated statically (no Docker engine needed): Debian's docker-compose
# parses them (test/deploy/compose-files.spec.ts).
if ! command -v docker-compose >/dev/null 2>&1; then
  echo "test.sh: installing Debian docker-compose to validate the compose files"
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" = "0" ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq docker-compose >/dev/null
fi

npm ci --no-audit --no-fund
npm run build:web --if-present
npm test
