/**
 * `aiofs/promises`: the fs/promises functions aiofs accelerates, with the same signatures, results
 * and errors. Metadata-only calls (stat, truncate by path, ...) are node:fs's own, re-exported.
 */
import * as fsp from 'node:fs/promises';

import { AioFileHandle, type ReadFileArgument, type WriteFileArgument, type WriteFileData } from './file-handle';
import {
  checkAborted,
  normalizeReadFileOptions,
  normalizeWriteFileOptions,
  parseMode,
  parseOpenFlags,
  toPathString,
  toWriteFileData,
} from './validate';

export { AioFileHandle } from './file-handle';
export type { ReadFileArgument, ReadResult, WriteFileArgument, WriteFileData, WriteResult } from './file-handle';
export { constants, stat, lstat, truncate } from 'node:fs/promises';

type PathLike = string | Buffer | URL;

/** Opens a file, like fs/promises' open(); reads and writes on the handle use kernel AIO. */
export async function open(path: PathLike, flags?: string | number, mode?: string | number): Promise<AioFileHandle> {
  const file = toPathString(path);
  const numericFlags = parseOpenFlags(flags ?? 'r');
  const handle = await fsp.open(file, numericFlags, parseMode(mode, 0o666));
  return new AioFileHandle(handle, numericFlags);
}

/**
 * Reads a whole file, like fs/promises' readFile(), and typed as fs's (a Buffer, or a string when an
 * encoding is given); also takes an AioFileHandle.
 */
export const readFile = async function readFile(path: PathLike | AioFileHandle | fsp.FileHandle, options?: ReadFileArgument): Promise<string | Buffer> {
  if (path instanceof AioFileHandle) return path.readFile(options);
  if (isForeignHandle(path)) return fsp.readFile(path, options);
  // fs checks the abort signal, then opens, and only then rejects `encoding: 'buffer'`.
  let unknownEncoding: unknown;
  let flag: unknown = 'r';
  try {
    ({ flag } = normalizeReadFileOptions(options));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_UNKNOWN_ENCODING') throw error;
    unknownEncoding = error;
    const bag = options as { flag?: unknown; signal?: AbortSignal };
    checkAborted(bag.signal);
    flag = bag.flag || 'r';
  }
  const handle = await open(path, flag as string | number);
  try {
    if (unknownEncoding !== undefined) throw unknownEncoding;
    return await handle.readFile(options);
  } finally {
    await handle.close();
  }
} as typeof fsp.readFile & ((path: AioFileHandle, options?: ReadFileArgument) => Promise<string | Buffer>);

/** Writes a whole file, like fs/promises' writeFile() (including `flush`). */
export function writeFile(path: PathLike | AioFileHandle | fsp.FileHandle, data: WriteFileData, options?: WriteFileArgument): Promise<void> {
  return writeWhole(path, data, options, 'w');
}

/** Appends to a file, like fs/promises' appendFile(). */
export function appendFile(path: PathLike | AioFileHandle | fsp.FileHandle, data: WriteFileData, options?: WriteFileArgument): Promise<void> {
  return writeWhole(path, data, options, 'a');
}

async function writeWhole(
  path: PathLike | AioFileHandle | fsp.FileHandle,
  data: WriteFileData,
  options: WriteFileArgument,
  defaultFlag: 'w' | 'a',
): Promise<void> {
  if (path instanceof AioFileHandle) return path.writeFile(data, options);
  const { flag, mode, flush, encoding, signal } = normalizeWriteFileOptions(options, defaultFlag);
  if (isForeignHandle(path)) {
    return defaultFlag === 'w' ? fsp.writeFile(path, data, options) : fsp.appendFile(path, data as string, options);
  }
  // As fs: the data is checked and the signal looked at before the file is opened (and truncated).
  toWriteFileData(data, encoding);
  checkAborted(signal);
  const handle = await open(path, flag as string | number, mode as string | number);
  try {
    await handle.writeFile(data, options);
    if (flush) await handle.sync();
  } finally {
    await handle.close();
  }
}

function isForeignHandle(path: unknown): path is fsp.FileHandle {
  return typeof path === 'object' && path !== null && !(path instanceof URL) && !Buffer.isBuffer(path) && 'fd' in path;
}
