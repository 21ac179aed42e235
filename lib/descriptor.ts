/**
 * What the kernel knows about a descriptor, and its file position (and the queue of operations at
 * it): shared by the file handle and the streams, for descriptors aiofs opened and ones the caller
 * handed in.
 */
import * as fs from 'node:fs';
import { constants } from 'node:os';

import { loaded, type NativeBinding } from './binding';
import { systemError } from './errors';
import { nodeFs } from './node-originals';

/** open(2) access-mode bits (Linux); node:fs does not export O_ACCMODE. */
export const O_ACCMODE = 3;
const SEEK_SET = 0;
const SEEK_CUR = 1;

/**
 * The open(2) flags of `fd` (access mode, O_APPEND, O_DIRECT, O_SYNC...) from fcntl(F_GETFL), or null
 * where the addon is not loaded (the caller then stays on node:fs for this descriptor).
 */
export function descriptorFlags(fd: number): number | null {
  const flags = loaded.binding?.descriptorFlags(fd) ?? -1;
  return flags < 0 ? null : flags;
}

/**
 * A new O_DIRECT descriptor on the file open as `fd`, with open(2) `flags` (aiofs asks for O_RDONLY:
 * O_CREAT/O_TRUNC/O_APPEND must not act a second time), or -errno. Reopening
 * /proc/self/fd/N reaches the same inode even if the path was renamed or unlinked, and also works for
 * an fd the user handed in. It is opened through node:fs, so node tracks it like its own: in a worker,
 * node closes the descriptors fs opened when the worker exits (terminate() included), and warns when
 * fs closes one it did not open ("closed but not opened in unmanaged mode").
 */
export function reopenDirect(fd: number, flags: number): number {
  try {
    return nodeFs.openSync(`/proc/self/fd/${fd}`, flags | fs.constants.O_DIRECT);
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

/** Moves the descriptor's file position by `delta` bytes (back, when negative). */
export function moveFilePosition(fd: number, delta: number): void {
  binding().seek(fd, delta, SEEK_CUR);
}

/** Moves the descriptor's file position to `position`, as read(2)/write(2) would have. */
export function setFilePosition(fd: number, position: number): void {
  binding().seek(fd, position, SEEK_SET);
}

/**
 * Operations at one descriptor's file position, run one after another as read(2) and write(2) would
 * be: each reads the position when its turn comes, moves `count` bytes from there, and leaves the
 * position past them. Owns nothing; a failed operation does not stop the ones queued after it.
 */
export class FilePositionQueue {
  #last: Promise<unknown> = Promise.resolve();

  /**
   * Runs `io` from the descriptor's position (`fd()` asked when its turn comes) and advances the
   * position by what it moved (a count, or a Buffer's length); `syscall` names a failed lseek.
   */
  run<T extends number | Buffer>(fd: () => number, io: (start: number) => Promise<T>, syscall: string): Promise<T> {
    const turn = this.#last.then(async () => {
      const descriptor = fd();
      const start = filePosition(descriptor);
      if (start < 0) throw systemError(start, syscall);
      const moved = await io(start);
      const count = typeof moved === 'number' ? moved : moved.byteLength;
      if (count > 0) setFilePosition(descriptor, start + count);
      return moved;
    });
    this.#last = turn.catch(() => undefined);
    return turn;
  }
}
