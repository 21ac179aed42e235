/**
 * `aiofs/promises`: everything node:fs/promises exports, with open, readFile, writeFile and appendFile
 * over kernel AIO. The rest (stat, mkdir, readdir, rm, rename, cp, watch, constants...) is node's own.
 *
 * aiofs's four serve plain arguments themselves (plain-arguments.ts) and hand anything else, untouched,
 * to node's function as it was when aiofs loaded, so validation, coercion and errors are the running
 * Node's, and aiofs/register putting these four into node:fs/promises can never make them call themselves.
 */
import type * as fsp from 'node:fs/promises';

import { AioFileHandle, type ReadFileArgument, type WriteFileArgument, type WriteFileData } from './file-handle';
import { descriptorFlags } from './descriptor';
import { systemError } from './errors';
import { NODE_MAJOR, nodeFsp } from './node-originals';
import {
  openAbortError,
  openFlags,
  plainPath,
  plainReadFileOptions,
  plainWriteFileData,
  plainWriteFileOptions,
} from './plain-arguments';
import { readWholeFile, writeWholeFile } from './whole-file';

export * from 'node:fs/promises';
export { AioFileHandle } from './file-handle';
export type { ReadFileArgument, ReadResult, WriteFileArgument, WriteFileData, WriteResult } from './file-handle';

type PathLike = string | Buffer | URL;

/** Opens a file, like fs/promises' open(); the handle is node's FileHandle, with its I/O over kernel AIO. */
export async function open(path: PathLike, flags?: string | number, mode?: string | number): Promise<AioFileHandle> {
  const aborts = openAbortError(path, flags, mode);
  if (aborts !== null) throw aborts;
  const handle = await nodeFsp.open(path, flags, mode);
  try {
    return AioFileHandle.adopt(handle, descriptorFlags(handle.fd) ?? 0);
  } catch (error) {
    // A failed setup closes what the open opened.
    await handle.close();
    throw error;
  }
}

/** Reads a whole file, like fs/promises' readFile(), and typed as fs's; also takes a FileHandle. */
export const readFile = async function readFile(
  path: PathLike | fsp.FileHandle,
  options?: ReadFileArgument,
): Promise<string | Buffer> {
  // A closed handle goes to node's readFile, whose error differs from the method's ('file closed').
  if (path instanceof AioFileHandle && path.fd !== -1) return path.readFile(options);
  const file = plainPath(path);
  const plain = file === null ? null : plainReadFileOptions(options);
  if (plain === null) return nodeFsp.readFile(path, options);
  try {
    // Read-only whole files take the cached fast path; other flags open a handle (which may create).
    const contents = plain.flag === 'r' ? await readWholeFile(file!) : await readThroughHandle(file!, plain.flag);
    if (contents === null) return await nodeFsp.readFile(path, options);
    return plain.encoding ? contents.toString(plain.encoding) : contents;
  } catch (error) {
    throw READ_ERRORS_NAME_THE_PATH ? withPath(error, file!) : error;
  }
} as typeof fsp.readFile;

/** Writes a whole file, like fs/promises' writeFile() (including `flush`); also takes a FileHandle. */
export function writeFile(path: PathLike | fsp.FileHandle, data: WriteFileData, options?: WriteFileArgument): Promise<void> {
  return writeWhole('writeFile', path, data, options);
}

/** Appends to a file, like fs/promises' appendFile(); also takes a FileHandle. */
export function appendFile(path: PathLike | fsp.FileHandle, data: WriteFileData, options?: WriteFileArgument): Promise<void> {
  return writeWhole('appendFile', path, data, options);
}

async function writeWhole(method: 'writeFile' | 'appendFile', path: unknown, data: unknown, options: unknown): Promise<void> {
  if (path instanceof AioFileHandle && path.fd !== -1)
    return (path as unknown as Record<string, (...args: unknown[]) => Promise<void>>)[method](data, options);
  const file = plainPath(path);
  const plain = file === null ? null : plainWriteFileOptions(options, method === 'writeFile' ? 'w' : 'a');
  const bytes = plain === null ? null : plainWriteFileData(data, plain.encoding);
  if (bytes === null || !(await writeWholeFile(file!, bytes, openFlags(plain!.flag), plain!.mode, plain!.flush))) {
    return (nodeFsp[method] as (...args: unknown[]) => Promise<void>)(path, data, options);
  }
}

/** readFile with a flag other than 'r' (which may create or truncate): through a handle, as node does. */
async function readThroughHandle(file: string | Buffer, flag: string): Promise<Buffer> {
  const handle = await open(file, flag);
  return closeAfter(handle, handle.readFile() as Promise<Buffer>);
}

/**
 * Node 26 reads a whole file by path in one round trip of its own, and its read errors name the path
 * ("EISDIR: illegal operation on a directory, read 'dir'"); earlier Nodes' do not.
 */
const READ_ERRORS_NAME_THE_PATH = NODE_MAJOR >= 26;

function withPath(error: unknown, path: string | Buffer): unknown {
  const failure = error as NodeJS.ErrnoException;
  if (failure.path !== undefined || typeof failure.errno !== 'number' || failure.syscall === undefined) return error;
  return systemError(failure.errno, failure.syscall, path);
}

/**
 * node's handleFdClose: closes `handle` once `operation` settles; its result, or its error, or (when
 * closing fails too) both errors in one AggregateError, as node's aggregateTwoErrors reports them.
 */
function closeAfter<T>(handle: AioFileHandle, operation: Promise<T>): Promise<T> {
  return operation.then(
    (result) => handle.close().then(() => result),
    (error: unknown) =>
      handle.close().then(
        () => Promise.reject(error),
        (closeError: unknown) => Promise.reject(aggregateTwoErrors(closeError, error)),
      ),
  );
}

function aggregateTwoErrors(inner: unknown, outer: unknown): unknown {
  if (!inner || !outer || inner === outer) return inner || outer;
  const errors = (outer as { errors?: unknown }).errors;
  if (Array.isArray(errors)) {
    errors.push(inner);
    return outer;
  }
  const aggregate = new AggregateError([outer, inner], (outer as Error).message);
  (aggregate as AggregateError & { code?: unknown }).code = (outer as { code?: unknown }).code;
  return aggregate;
}
