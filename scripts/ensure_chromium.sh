#!/usr/bin/env bash
# Browser tests drive Debian's Chromium through Playwright (no browser download). Installs it when missing
# and this user may use apt-get; otherwise says why the browser tests will not run.
set -u
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null \
    && exit 0
  echo "apt-get could not install chromium" >&2
  exit 1
fi
echo "chromium is not installed and this user cannot install it: run 'sudo apt-get install chromium'." >&2
exit 1
