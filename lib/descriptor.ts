/**
 * What the kernel knows about a descriptor handed in by the caller (`fd` options of the streams).
 */
import * as fs from 'node:fs';

/**
 * The open(2) flags of `fd` (access mode, O_APPEND, O_DIRECT, ...), read from /proc/self/fdinfo, or
 * null where that cannot be read (no procfs): then the caller stays on node:fs for this descriptor.
 */
export function descriptorFlags(fd: number): number | null {
  try {
    const match = /^flags:\s*([0-7]+)$/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1'));
    return match === null ? null : parseInt(match[1], 8);
  } catch {
    return null;
  }
}
