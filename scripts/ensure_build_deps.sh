#!/usr/bin/env bash
# PyICU (the transliteration behind the name matcher, required by normality) ships only as source: it builds
# against the system ICU. Installs the build prerequisites from Debian when missing and this user may.
set -u
have() { command -v "$1" >/dev/null 2>&1; }
if have pkg-config && pkg-config --exists icu-uc icu-i18n && have g++; then exit 0; fi
if [ "$(id -u)" = "0" ] && have apt-get; then
  echo "Installing the ICU build prerequisites (libicu-dev, pkg-config, g++) for PyICU..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libicu-dev pkg-config g++ >/dev/null \
    && exit 0
  echo "apt-get could not install libicu-dev pkg-config g++" >&2
  exit 1
fi
echo "PyICU needs ICU's headers and a C++ compiler: run 'sudo apt-get install libicu-dev pkg-config g++'." >&2
exit 1
