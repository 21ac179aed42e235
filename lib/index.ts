/**
 * aiofs: file I/O over Linux kernel AIO, a drop-in for node:fs.
 *
 * `backend` tells which backend this thread runs on and why; `promises` mirrors fs/promises.
 */
import * as promises from './promises';

export { backend, contextStats, type Backend } from './backend';
export type { ContextStats } from './binding';
export { AioFileHandle } from './file-handle';
export {
  AioReadStream,
  AioReadStream as ReadStream,
  createReadStream,
  DEFAULT_CHUNK_SIZE,
  DEFAULT_READ_AHEAD,
  type AioReadStreamOptions,
} from './read-stream';
export {
  AioWriteStream,
  AioWriteStream as WriteStream,
  createWriteStream,
  DEFAULT_WRITE_BEHIND,
  DEFAULT_WRITE_CHUNK_SIZE,
  type AioWriteStreamOptions,
} from './write-stream';
export { promises };
