/**
 * Builds test/support/malloc-probe.c (glibc's live-allocation count, after malloc_trim) with the C
 * compiler and node's own headers, for the leak checks. Fixtures load it through AIOFS_MALLOC_PROBE
 * (see test/fixtures/resources.mjs).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import { atExit } from './filesystems';

export type MallocProbe = { path: string; skipReason?: undefined } | { path?: undefined; skipReason: string };

const source = fileURLToPath(new URL('./malloc-probe.c', import.meta.url));

/** node's headers: where npm builds addons from (npm_config_nodedir, as .ci/run sets), else beside the node binary. */
function nodeHeaders(): string | undefined {
  const roots = [process.env.npm_config_nodedir, path.resolve(process.execPath, '..', '..')];
  return roots
    .map((root) => root && path.join(root, 'include', 'node'))
    .find((dir) => dir && fs.existsSync(path.join(dir, 'node_api.h')));
}

export function buildMallocProbe(): MallocProbe {
  if (process.platform !== 'linux') return { skipReason: `glibc's malloc is Linux's (this is ${process.platform})` };
  const headers = nodeHeaders();
  if (!headers) return { skipReason: 'node_api.h not found (set npm_config_nodedir to a node source or headers tree)' };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aiofs-malloc-probe-'));
  atExit(() => fs.rmSync(dir, { recursive: true, force: true }));
  const out = path.join(dir, 'malloc-probe.node');
  const cc = process.env.CC ?? 'cc';
  const built = spawnSync(cc, ['-shared', '-fPIC', '-O2', `-I${headers}`, source, '-o', out], { encoding: 'utf8' });
  if (built.error || built.status !== 0)
    return { skipReason: `${cc} could not build the probe: ${built.error?.message ?? built.stderr.trim()}` };
  return { path: out };
}
