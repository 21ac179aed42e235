#!/usr/bin/env bash
# valgrind memcheck over a smoke run of the addon: a promise round trip, a ring smaller than
# the load, process.exit() with requests in flight (the cleanup hook waits for them), workers
# terminated mid-I/O, and read and write streams destroyed mid-flight. Every run must report zero
# errors and no definitely-lost block; the script fails otherwise and prints the log.
#
# AIOFS_REAP=io_getevents: completions are taken with the system call instead of from the ring mapped
# in user space. memcheck marks a read's memory as written by the kernel only in io_getevents; read
# through the ring, every byte the kernel read into a buffer would look uninitialised to it (measured:
# 8,003 false "uninitialised" errors in the first fixture, all of them from that).
# cachestat(2) (syscall 451) is unknown to valgrind 3.19, which answers ENOSYS; aiofs then probes the
# page cache with RWF_NOWAIT reads, as on kernels before 6.5, and valgrind prints a warning about it.
# scripts/valgrind-node.supp suppresses node's own noise (V8's conservative stack scan), and says why.
#
#   scripts/valgrind.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind: not installed (apt-get install valgrind)"; exit 1; }

logs="$(mktemp -d /tmp/aiofs-valgrind-XXXXXX)"
dir="$(mktemp -d /tmp/aiofs-valgrind-data-XXXXXX)"
export AIOFS_REAP=io_getevents AIOFS_TEST_DIR="$dir" AIOFS_QUEUE_DEPTH=16
failed=0
run() {
  local name="$1"
  shift
  local started=$SECONDS
  local status=0
  valgrind --tool=memcheck --error-limit=no --num-callers=40 --leak-check=full --show-leak-kinds=definite \
    --errors-for-leak-kinds=definite --error-exitcode=99 --suppressions=scripts/valgrind-node.supp \
    --log-file="$logs/$name.log" \
    node "$@" >"$logs/$name.out" 2>&1 || status=$?
  local summary
  summary=$(grep -h "ERROR SUMMARY" "$logs/$name.log" | tail -1 | sed 's/^==[0-9]*== //')
  echo "valgrind: $name: exit $status, $summary ($((SECONDS - started)) s)"
  # exit-in-flight.mjs exits with 42 by design; anything else must be 0.
  local expected=0
  [ "$name" = exit-in-flight ] && expected=42
  if [ "$status" -ne "$expected" ]; then
    failed=1
    cat "$logs/$name.out"
    grep -v "^--" "$logs/$name.log" | tail -80
  fi
}

run backend-report test/fixtures/backend-report.mjs
run small-ring test/fixtures/small-ring.mjs
run exit-in-flight test/fixtures/exit-in-flight.mjs
run worker-terminate test/fixtures/worker-terminate.mjs 3
run streams-destroyed test/fixtures/leak-cycles.mjs smoke

rm -rf "$dir"
if [ "$failed" -ne 0 ]; then
  echo "valgrind: FAILED (logs in $logs)"
  exit 1
fi
rm -rf "$logs"
echo "valgrind: 0 errors from the addon in every run"
