// Test helper (for tests and fixtures): puts a file's pages out of the page cache, so that reads of it
// go to the device.
import { execFileSync } from 'node:child_process';

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
