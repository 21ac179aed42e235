#!/usr/bin/env bash
# The addon built with AddressSanitizer and UndefinedBehaviorSanitizer, and the whole vitest suite run
# against it. The build goes to build-sanitize/ (a copy of binding.gyp beside a link to
# native/), so build/Release stays the normal build; lib/binding.ts loads it through AIOFS_ADDON.
#
# node itself is not instrumented: the ASan runtime is preloaded into it (LD_PRELOAD), and so into
# every process the tests start. Leak detection is off because V8 and node leave memory allocated at
# exit by design (the isolate is not torn down); every other report (heap overflow, use after free,
# double free, UB) is written to a log file, and any log file fails this script, whether or not a
# test noticed the crash. UBSan is built non-recovering, so an UB report also stops the process.
#
#   scripts/asan.sh                   build, then the whole suite (AIOFS_TEST_CASES fuzz cases per
#                                     filesystem, 200 by default: ASan's allocator slows node down)
#   scripts/asan.sh -- test/x.test.ts build, then vitest run on the named files only
set -euo pipefail
cd "$(dirname "$0")/.."

out=build-sanitize
rm -rf "$out"
mkdir -p "$out"
cp binding.gyp "$out/"
ln -s ../native "$out/native"
flags='-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1'
# npm's own node-gyp (as `npm run build:native` uses), run in the sanitizer directory.
CXXFLAGS="$flags" LDFLAGS='-fsanitize=address,undefined' npm run build:native -- --directory="$out" >"$out/build.log" 2>&1 ||
  { cat "$out/build.log"; exit 1; }
addon="$PWD/$out/build/Release/aiofs.node"
ldd "$addon" | grep -q libasan || { echo "asan: $addon is not linked with libasan"; exit 1; }

reports="$(mktemp -d /tmp/aiofs-asan-XXXXXX)"
export AIOFS_ADDON="$addon"
export LD_PRELOAD="$(g++ -print-file-name=libasan.so)"
# allow_user_segv_handler: V8's WebAssembly trap handler (undici's llhttp) owns SIGSEGV.
export ASAN_OPTIONS="detect_leaks=0:allow_user_segv_handler=1:abort_on_error=1:log_path=$reports/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan"
export AIOFS_TEST_CASES="${AIOFS_TEST_CASES:-200}"

# The run proves nothing unless the sanitizer build is the one in use, on kernel AIO.
node -e '
  const { backend } = require("./dist/index.js");
  const loaded = Object.keys(require.cache).some((f) => f === process.env.AIOFS_ADDON);
  console.log(`asan: backend ${backend.name} (${backend.reason}); sanitizer addon loaded: ${loaded}`);
  if (backend.name !== "kernel-aio" || !loaded) process.exit(1);
'

status=0
started=$SECONDS
if [ "${1:-}" = "--" ]; then
  shift
  npx vitest run "$@" || status=$?
else
  # Left out: what measures the allocator or the clock rather than correctness. ASan's allocator
  # replaces glibc's (so aiofs cannot set malloc thresholds) and holds freed memory in quarantine (so
  # RSS bounds do not hold, for node:fs's own stream too), and the benchmark suite's trials get killed
  # for time under it.
  unsanitizable='^(?!.*(grows RSS by|glibc.s malloc thresholds)).*$'
  npx vitest run --exclude test/bench-suite.test.ts -t "$unsanitizable" || status=$?
  npx vitest run --config vitest.serial.config.ts || status=$?
fi
echo "asan: vitest exit status $status after $((SECONDS - started)) s"

found=$(find "$reports" -type f | wc -l)
if [ "$found" -gt 0 ]; then
  echo "asan: $found sanitizer report(s):"
  for f in "$reports"/*; do echo "== $f"; cat "$f"; done
  exit 1
fi
echo "asan: 0 sanitizer reports (AddressSanitizer + UndefinedBehaviorSanitizer)"
rm -rf "$reports"
exit "$status"
