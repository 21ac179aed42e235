#!/usr/bin/env bash
# Packs aiofs (`npm pack`: what the registry would serve) and installs the tarball into a fresh
# consumer folder as a user without a compiler would: PATH holds only node and sh (no cc, c++, make, python3).
# Usage: scripts/pack-install.sh DEST [--without-prebuilds | --ignore-scripts]
#   --without-prebuilds: the tarball minus prebuilds/, as on a platform aiofs ships no binary for.
#   --ignore-scripts: npm runs no install script (as with an allowScripts policy that does not list aiofs).
# dist/ must be built (npm run build). Prints npm's output; the install folder is DEST/consumer.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$(mkdir -p "$1" && cd "$1" && pwd)"
node="$(readlink -f "$(command -v node)")"
npm_cli="$(npm root -g)/npm/bin/npm-cli.js"

tarball="$dest/$(cd "$root" && npm pack --ignore-scripts --silent --pack-destination "$dest")"
if [ "${2:-}" = "--without-prebuilds" ]; then
  tar -xzf "$tarball" -C "$dest"
  rm -rf "$dest/package/prebuilds"
  tarball="$dest/aiofs-without-prebuilds.tgz"
  tar -czf "$tarball" -C "$dest" package
  rm -rf "$dest/package"
fi

install_flags=()
if [ "${2:-}" = "--ignore-scripts" ]; then install_flags+=(--ignore-scripts); fi

mkdir -p "$dest/consumer" "$dest/bin"
ln -sf "$node" "$dest/bin/node"
ln -sf "$(readlink -f "$(command -v sh)")" "$dest/bin/sh"   # npm runs install scripts with sh
echo '{ "name": "consumer", "private": true }' > "$dest/consumer/package.json"
cd "$dest/consumer"
env -i HOME="$HOME" PATH="$dest/bin" npm_config_cache="${npm_config_cache:-$HOME/.npm}" \
  "$node" "$npm_cli" install --no-audit --no-fund --foreground-scripts "${install_flags[@]}" "$tarball"
