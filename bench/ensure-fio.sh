#!/usr/bin/env bash
# The benchmarks compare against fio (the device limit). Install it from Debian's packages if missing.
set -euo pipefail
command -v fio >/dev/null && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fio
else
  echo "fio is missing: install it (e.g. sudo apt-get install fio) and run again" >&2
  exit 1
fi
