// A memory-limited cgroup for the page-cache scenario: page cache is charged to the cgroup whose
// process first brought the page in, and reclaimed within the cgroup when it reaches its limit, so a
// process that streams a file through the cache there evicts its other cached files, as in a container.
// Needs root and a memory controller (cgroup v2 with memory enabled for children, or v1's memory
// hierarchy); otherwise { ok: false, reason }.
import { existsSync, mkdtempSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function memoryRoot() {
  const v2 = '/sys/fs/cgroup';
  try {
    if (readFileSync(join(v2, 'cgroup.subtree_control'), 'utf8').split(/\s+/).includes('memory'))
      return { dir: v2, limitFile: 'memory.max' };
  } catch {
    /* not a cgroup v2 root */
  }
  const v1 = '/sys/fs/cgroup/memory';
  if (existsSync(join(v1, 'memory.limit_in_bytes'))) return { dir: v1, limitFile: 'memory.limit_in_bytes' };
  return null;
}

/**
 * Creates a cgroup limited to `limitBytes`: { ok, launcher, remove } where `launcher` prefixes a command
 * so that it runs inside (runNodeTrial's launcher argument), or { ok: false, reason }.
 * @returns {{ ok: true, launcher: string[], remove: () => void } | { ok: false, reason: string }}
 */
export function memoryCgroup(limitBytes) {
  if (process.getuid?.() !== 0) return { ok: false, reason: 'not running as root' };
  const root = memoryRoot();
  if (!root) return { ok: false, reason: 'no cgroup memory controller found' };
  let dir;
  try {
    dir = mkdtempSync(join(root.dir, 'aiofs-bench-'));
    writeFileSync(join(dir, root.limitFile), String(limitBytes));
  } catch (thrown) {
    const err = /** @type {NodeJS.ErrnoException} */ (thrown);
    return { ok: false, reason: `cannot create a memory cgroup under ${root.dir}: ${err.code || err.message}` };
  }
  return {
    ok: true,
    // sh moves itself into the cgroup, then becomes the command: "$0" is the procs file
    launcher: ['sh', '-c', 'echo $$ > "$0" && exec "$@"', join(dir, 'cgroup.procs')],
    remove: () => rmdirSync(dir), // its processes have exited; cached pages stay charged to the parent
  };
}
