#!/usr/bin/env bash
# Install Debian's Chromium when missing: the dashboard page's browser test drives it headless
# (tests/dashboards/test_page.py; Playwright launches /usr/bin/chromium, downloading no browser).
# Usage: scripts/chromium.sh install
set -euo pipefail

install() {
  command -v chromium >/dev/null && return 0
  echo "installing Debian's chromium"
  if [[ $(id -u) -eq 0 ]]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
}

case "${1:-}" in
  install) install ;;
  *) echo "usage: $0 install" >&2; exit 2 ;;
esac
