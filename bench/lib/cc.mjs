// Builds a small C program or addon of the benchmarks with the system's cc at run time. A missing
// compiler is a note, never a failure: the caller leaves out what the build would have added.
import { spawnSync } from 'node:child_process';

/** Compiles `source` to `output` with `flags`: { ok: true, path } or { ok: false, reason }. */
export function compileC(source, output, flags = []) {
  const r = spawnSync('cc', ['-O2', ...flags, source, '-o', output], { encoding: 'utf8' });
  if (r.error)
    return {
      ok: false,
      reason: `no C compiler (cc: ${/** @type {NodeJS.ErrnoException} */ (r.error).code}); apt-get install gcc`,
    };
  if (r.status !== 0)
    return { ok: false, reason: `cc failed on ${source}: ${r.stderr.trim().split('\n').slice(0, 3).join(' / ')}` };
  return { ok: true, path: output };
}
