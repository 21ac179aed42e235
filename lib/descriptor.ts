/**
 * What the kernel knows about a descriptor, and its file position: shared by the file handle and the
 * streams, for descriptors aiofs opened and ones the caller handed in.
 */
import * as fs from 'node:fs';

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
