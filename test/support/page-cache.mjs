// Test helpers (for tests and fixtures): put a file's pages out of the page cache, or drop the whole
// dentry and page caches, so that opens and reads go to the device.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

/**
 * Writes back and drops `file`'s cached pages (fdatasync, then posix_fadvise DONTNEED), through
 * python3's os module: node:fs has no fadvise. Pages another process keeps mapped would stay.
 * @param {string} file
 */
export function evictFromPageCache(file) {
  execFileSync('python3', [
    '-c',
    'import os, sys\nfd = os.open(sys.argv[1], os.O_RDONLY)\nos.fdatasync(fd)\nos.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)\nos.close(fd)',
    file,
  ]);
}

/**
 * Drops the dentry and page caches (root only), after sync(1): a file with dirty pages keeps its inode,
 * and so its dentry. False, with a message naming `label`, where that is not allowed.
 * @param {string} label
 */
export function dropCaches(label) {
  execFileSync('sync');
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch (error) {
    console.log(`[${label}] skipped: dropping the dentry and page caches needs root (${error.code})`);
    return false;
  }
}
