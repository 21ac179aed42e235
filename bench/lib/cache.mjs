// Page-cache control. Cold-cache runs need root (writing drop_caches); we
// never fake it: callers get { ok: false, reason } and must label results warm.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

export function dropCaches() {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return { ok: false, reason: 'not running as root' };
  }
  try {
    execFileSync('sync'); // dirty pages cannot be dropped, so write them back first
  } catch (err) {
    return { ok: false, reason: `\`sync\` failed: ${err.code || err.message}` };
  }
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3');
    return { ok: true };
  } catch (err) {
    // e.g. a container with /proc/sys mounted read-only
    return { ok: false, reason: `cannot write /proc/sys/vm/drop_caches: ${err.code || err.message}` };
  }
}
