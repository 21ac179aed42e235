// Page-cache control. Cold-cache runs need root (writing drop_caches); we
// never fake it: callers get { ok: false, reason } and must label results warm.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';

/** @returns {{ ok: true } | { ok: false, reason: string }} */
export function dropCaches() {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return { ok: false, reason: 'not running as root' };
  }
  try {
    execFileSync('sync'); // dirty pages cannot be dropped, so write them back first
  } catch (thrown) {
    const err = /** @type {NodeJS.ErrnoException} */ (thrown);
    return { ok: false, reason: `\`sync\` failed: ${err.code || err.message}` };
  }
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3');
    return { ok: true };
  } catch (thrown) {
    // e.g. a container with /proc/sys mounted read-only
    const err = /** @type {NodeJS.ErrnoException} */ (thrown);
    return { ok: false, reason: `cannot write /proc/sys/vm/drop_caches: ${err.code || err.message}` };
  }
}

// Bytes of `path` resident in the page cache, from util-linux fincore:
// { ok: true, bytes } or { ok: false, reason } (fincore missing or failing).
/** @returns {{ ok: true, bytes: number } | { ok: false, reason: string }} */
export function residentBytes(path) {
  const r = spawnSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', path], { encoding: 'utf8' });
  if (r.error) return { ok: false, reason: `fincore not available (${/** @type {NodeJS.ErrnoException} */ (r.error).code})` };
  const bytes = Number(r.stdout.trim());
  if (r.status !== 0 || !Number.isFinite(bytes)) {
    return { ok: false, reason: `fincore failed: ${(r.stderr || r.stdout).trim() || `exit ${r.status}`}` };
  }
  return { ok: true, bytes };
}

// Read the whole file once through the page cache (1 MiB buffered reads) so
// that it is cached afterwards. Returns the seconds it took.
export function warmFile(path) {
  const t0 = process.hrtime.bigint();
  const buf = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(path, 'r');
  try {
    for (let off = 0, n; (n = readSync(fd, buf, 0, buf.length, off)) > 0;) off += n;
  } finally {
    closeSync(fd);
  }
  return Number(process.hrtime.bigint() - t0) / 1e9;
}
