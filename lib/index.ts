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
export { promises };
