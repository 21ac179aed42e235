/**
 * aiofs: file I/O over Linux kernel AIO, a drop-in for node:fs.
 *
 * Everything node:fs exports, with its streams (ReadStream, WriteStream, createReadStream,
 * createWriteStream) and whole-file calls (readFile, writeFile, appendFile) over kernel AIO, and
 * `promises` being `aiofs/promises`; the rest is node's own.
 * `backend` tells which backend this thread runs on and why; `contextStats()` what its AIO context did.
 */
import * as promises from './promises';

export * from 'node:fs';
export { backend, configure, contextStats, type Backend, type DirectIoAlignment, type FileBackend } from './backend';
export { appendFile, readFile, writeFile } from './callbacks';
export type { ContextStats } from './binding';
export { AioFileHandle } from './file-handle';
export {
  AioReadStream,
  AioReadStream as ReadStream,
  AioReadStream as FileReadStream,
  createReadStream,
  DEFAULT_CHUNK_SIZE,
  DEFAULT_READ_AHEAD,
  type AioReadStreamOptions,
} from './read-stream';
export {
  AioWriteStream,
  AioWriteStream as WriteStream,
  AioWriteStream as FileWriteStream,
  createWriteStream,
  type AioWriteStreamOptions,
} from './write-stream';
export { promises };
