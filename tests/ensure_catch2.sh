#!/bin/sh
# Prints the Catch2 major version found (2 or 3) on stdout.
# When none is found: installs Debian's package as root on Debian/Ubuntu,
# otherwise says how to install it and fails. Messages go to stderr.
CXX=${CXX:-g++}

has_header() {
  printf '#include <%s>\n' "$1" | $CXX -std=c++20 -x c++ -fsyntax-only - >/dev/null 2>&1
}

find_version() {
  if has_header catch2/catch_test_macros.hpp; then echo 3; return 0; fi
  if has_header catch2/catch.hpp; then echo 2; return 0; fi
  return 1
}

find_version && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Catch2 not found: installing Debian's catch2 package with apt-get..." >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq catch2) >&2 \
    && find_version && exit 0
  echo "error: apt-get could not install catch2" >&2
  exit 1
fi

cat >&2 <<MSG
error: the tests need Catch2 (v2 or v3), and it was not found by $CXX.
Install it with one of:
  Debian/Ubuntu:  sudo apt-get install catch2
  Fedora:         sudo dnf install catch2-devel
  macOS:          brew install catch2
MSG
exit 1
