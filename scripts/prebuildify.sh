#!/usr/bin/env bash
# Makes the prebuilt N-API binaries shipped in the npm tarball: prebuilds/linux-x64/aiofs.node (this
# machine's compiler) and prebuilds/linux-arm64/aiofs.node (Debian's aarch64 cross compiler), stripped,
# then records the sha256 of every source they were built from, and of the binaries, in
# prebuilds/SHA256SUMS (`sha256sum -c prebuilds/SHA256SUMS` checks it; test/packaging-prebuilds.test.ts
# fails when native/ or binding.gyp changed since). Run it again after any change to native/ or binding.gyp.
#
# The build happens in a scratch copy of the sources, so build/Release (what the tests load) is left alone.
# Usage: npm run prebuildify   (installs Debian's g++-aarch64-linux-gnu if it is missing)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# Node's headers come with the node binary (include/node next to bin/): node-gyp must not download them.
export npm_config_nodedir="${npm_config_nodedir:-$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")}"
test -f "$npm_config_nodedir/include/node/node_api.h" || { echo "no Node headers in $npm_config_nodedir/include/node" >&2; exit 1; }
# prebuildify runs `node-gyp` from PATH; `npm run` puts npm's own there, a plain shell may not.
if ! command -v node-gyp >/dev/null; then
  export PREBUILD_NODE_GYP="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
fi

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cp -r binding.gyp package.json native "$stage/"
ln -s "$root/node_modules" "$stage/node_modules"

prebuildify="$root/node_modules/.bin/prebuildify"
rm -rf prebuilds/linux-x64 prebuilds/linux-arm64
"$prebuildify" --napi --strip --cwd "$stage" --out "$root"

command -v aarch64-linux-gnu-g++ >/dev/null || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++-aarch64-linux-gnu
}
rm -rf "$stage/build"
CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ \
  "$prebuildify" --napi --strip --strip-bin aarch64-linux-gnu-strip --arch arm64 --cwd "$stage" --out "$root"

# The sources as they were copied for the build (a file edited meanwhile then shows up as stale).
{ (cd "$stage" && sha256sum binding.gyp native/*); sha256sum prebuilds/linux-*/*.node; } > prebuilds/SHA256SUMS
# The symbol versions each binary needs: glibc 2.17 and libstdc++ of GCC 11 or later (GLIBCXX_3.4.29, from
# std::allocator in GCC 12's headers). Linking libstdc++ statically was tried: its archive then needs
# glibc 2.36 (arc4random, _dl_find_object), newer than the dynamic build's 2.17.
for binary in prebuilds/linux-*/*.node; do
  objdump=objdump
  case "$binary" in *arm64*) objdump=aarch64-linux-gnu-objdump ;; esac
  echo "$binary needs: $("$objdump" -T "$binary" | grep -o '(GLIBC[A-Z]*_[0-9.]*)' | tr -d '()' | sort -uV | tr '\n' ' ')"
done
