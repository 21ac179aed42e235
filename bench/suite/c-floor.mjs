// The whole-file scenario's reference column: the syscall floor that probes/small-file.c measures for
// one call at a time from a warm cache (open + fstat + read + close; open(O_TRUNC) + write + close of an
// existing file; the same of a new file; open(O_APPEND) + write + close; open(O_TRUNC) + write + fsync +
// close), built with cc at run time into the suite's folder. Without cc the column is left out.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileC } from '../lib/cc.mjs';

const SOURCE = fileURLToPath(new URL('../../probes/small-file.c', import.meta.url));
const LINE =
  /^size\s+(\d+): read plain\s+([\d.]+) us.*write plain\s+([\d.]+) us.*new\s+([\d.]+) us, append\s+([\d.]+) us, flush\s+([\d.]+) us/;
const perSec = (us) => (us > 0 ? 1e6 / us : null);

/**
 * The floor at `sizes` (each size's files up to `maxBytes` in all): { ok: true, bySize: { [size]:
 * { readOpsPerSec, rewriteOpsPerSec, newOpsPerSec, appendOpsPerSec, flushOpsPerSec } }, output } or
 * { ok: false, reason }.
 */
export function cFloor(ctx, sizes, maxBytes) {
  const built = compileC(SOURCE, join(ctx.dir, 'small-file'));
  if (!built.ok) return built;
  const dir = join(ctx.dir, 'c-floor');
  mkdirSync(dir, { recursive: true });
  const r = spawnSync(built.path, [dir, ...sizes.map(String)], {
    encoding: 'utf8',
    env: { ...process.env, SMALL_FILE_MAX_BYTES: String(maxBytes) },
  });
  if (r.status !== 0)
    return { ok: false, reason: `probes/small-file.c failed (exit ${r.status ?? r.signal}): ${(r.stderr || r.stdout).trim()}` };
  const bySize = {};
  for (const m of r.stdout
    .split('\n')
    .map((line) => LINE.exec(line))
    .filter((match) => match !== null)) {
    const [read, rewrite, created, append, flush] = m.slice(2).map((us) => perSec(Number(us)));
    bySize[m[1]] = {
      readOpsPerSec: read,
      rewriteOpsPerSec: rewrite,
      newOpsPerSec: created,
      appendOpsPerSec: append,
      flushOpsPerSec: flush,
    };
  }
  return { ok: true, bySize, output: r.stdout.trim() };
}
