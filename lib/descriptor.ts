/**
 * What the kernel knows about a descriptor, and its file position: shared by the file handle and the
 * streams, for descriptors aiofs opened and ones the caller handed in.
 */
import * as fs from 'node:fs';
import { constants } from 'node:os';

import { loaded, type NativeBinding } from './binding';

/** open(2) access-mode bits (Linux); node:fs does not export O_ACCMODE. */
export const O_ACCMODE = 3;
const SEEK_SET = 0;
const SEEK_CUR = 1;

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

/**
 * A new O_DIRECT descriptor on the file open as `fd`, or -errno. Of `flags` only the access mode and
 * O_SYNC/O_DSYNC are used: O_CREAT/O_TRUNC/O_APPEND must not act a second time. Reopening
 * /proc/self/fd/N reaches the same inode even if the path was renamed or unlinked, and also works for
 * an fd the user handed in. It is opened through node:fs, so node tracks it like its own: in a worker,
 * node closes the descriptors fs opened when the worker exits (terminate() included), and warns when
 * fs closes one it did not open ("closed but not opened in unmanaged mode").
 */
export function reopenDirect(fd: number, flags: number): number {
  const kept = flags & (O_ACCMODE | fs.constants.O_SYNC | fs.constants.O_DSYNC);
  try {
    return fs.openSync(`/proc/self/fd/${fd}`, kept | fs.constants.O_DIRECT);
  } catch (error) {
    return (error as NodeJS.ErrnoException).errno ?? -constants.errno.EINVAL;
  }
}

/** Whether open(2) `flags` allow reading. */
export function allowsReading(flags: number): boolean {
  return (flags & O_ACCMODE) !== fs.constants.O_WRONLY;
}

/** Whether open(2) `flags` allow writing. */
export function allowsWriting(flags: number): boolean {
  return (flags & O_ACCMODE) !== fs.constants.O_RDONLY;
}

// lseek(2) through the addon, which is loaded wherever kernel AIO runs; it never waits for the device.
const binding = (): NativeBinding => loaded.binding as NativeBinding;

/** The descriptor's file position, or -errno. */
export function filePosition(fd: number): number {
  return binding().seek(fd, 0, SEEK_CUR);
}

/** Moves the descriptor's file position to `position`, as read(2)/write(2) would have. */
export function setFilePosition(fd: number, position: number): void {
  binding().seek(fd, position, SEEK_SET);
}
