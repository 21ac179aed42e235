/**
 * The I/O operations aiofs gives a read stream that opens a path read-only through node:fs's own: node:fs's,
 * except an open that takes a regular file from the dentry cache on the event loop, and a close of that
 * descriptor at once.
 *
 * Ownership: the descriptor the cached open makes is the stream's, as one node's open made would be
 * (node's stream closes it through these operations' close). What the open learned of the file (its size
 * and mode) stays on the operations until that close, for the stream's reader (read-stream.ts).
 */
import fs = require('node:fs');
import { constants } from 'node:os';

import { engine } from './backend';
import { loaded } from './binding';
import { systemError } from './errors';
import { plainPath } from './plain-arguments';
import { streamOperations } from './node-originals';
import { openInJob } from './whole-file';

/**
 * On the operations cachedOpenOperations() makes: what their open learned of the file it opened (null
 * until then, and after its close), so attaching the reader asks the kernel none of it again.
 */
const kCachedOpen = Symbol('aiofs.cachedOpen');

/** The descriptor cachedOpenOperations' open made, read-only, and the regular file's size and mode then. */
export interface CachedOpened {
  fd: number;
  size: number;
  mode: number;
}

/**
 * One stream's I/O operations: node:fs's (looked up on the module at each call, as node's stream does),
 * except open, which takes a regular file from the dentry cache on the event loop (openat2
 * RESOLVE_CACHED, never waiting for the device) and answers on the next tick, or on a miss opens it
 * in a blocking job on aiofs's threads; and close, which closes that descriptor at once (read-only:
 * nothing to flush). A path that is not a regular file, or a kernel without RESOLVE_CACHED: node:fs's
 * own open (and close) do it.
 */
export function cachedOpenOperations(): object {
  const operations = Object.create(fs, {
    [kCachedOpen]: { value: null, writable: true },
    open: {
      value(path: unknown, flags: unknown, mode: unknown, callback: (error: Error | null, fd?: number) => void): void {
        const binding = loaded.binding!;
        // Missed the dentry cache: opened by a blocking job on aiofs's threads (where a regular file is
        // one), learning what the cached open learns.
        const openMissed = (file: string | Buffer): void => {
          openInJob(engine()!, binding, file).then((fd) => {
            if (fd === binding.ops.notRegular) {
              fs.open(path as string, flags as string, mode as number, callback);
              return;
            }
            const described = binding.describe(fd);
            if (typeof described === 'number') {
              binding.closeFd(fd);
              callback(systemError(described, 'fstat'));
              return;
            }
            operations[kCachedOpen] = { fd, size: described[0], mode: described[1] } satisfies CachedOpened;
            callback(null, fd);
          }, callback);
        };
        // What node's open would validate (the path, the mode) must be plain, or node's open does it all.
        const file = typeof mode === 'number' && Number.isInteger(mode) && mode >= 0 && mode <= 0o7777 ? plainPath(path) : null;
        const result = file === null ? -constants.errno.EAGAIN : binding.openCached(file);
        if (typeof result !== 'number') {
          operations[kCachedOpen] = { fd: result[0], size: result[1], mode: result[2] } satisfies CachedOpened;
          engine()!.cached.opens++;
          process.nextTick(callback, null, result[0]);
        } else if (
          result === binding.ops.notRegular ||
          result === -constants.errno.EAGAIN ||
          result === -constants.errno.ENOSYS ||
          result === -constants.errno.EINVAL ||
          result === -constants.errno.EPERM
        ) {
          if (result === -constants.errno.EAGAIN && file !== null) {
            engine()!.cached.openMisses++;
            openMissed(file);
          } else {
            fs.open(path as string, flags as string, mode as number, callback);
          }
        } else {
          process.nextTick(callback, systemError(result, 'open', file!));
        }
      },
    },
    close: {
      value(fd: number, callback: (error: Error | null) => void): void {
        if (fd !== operations[kCachedOpen]?.fd) {
          fs.close(fd, callback);
          return;
        }
        operations[kCachedOpen] = null;
        const result = loaded.binding!.closeFd(fd);
        process.nextTick(callback, result < 0 ? systemError(result, 'close') : null);
      },
    },
  }) as { [kCachedOpen]: CachedOpened | null };
  return operations;
}

/** Whether `operations` are cachedOpenOperations() ones (over node:fs's own). */
export function isCachedOpenOperations(operations: unknown): boolean {
  return (operations as { [kCachedOpen]?: unknown } | null | undefined)?.[kCachedOpen] !== undefined;
}

/** What the stream's cached open learned of the descriptor it reads now, if that open made it. */
export function cachedOpenOf(stream: { fd: number | null }): CachedOpened | undefined {
  const opened = (streamOperations(stream) as { [kCachedOpen]?: CachedOpened | null })[kCachedOpen];
  return opened !== undefined && opened !== null && opened.fd === stream.fd ? opened : undefined;
}
