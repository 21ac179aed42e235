/**
 * Argument normalization for the fs/promises calls aiofs mirrors, ported from
 * Node 20's lib/internal/fs/promises.js, lib/internal/fs/utils.js and
 * lib/internal/validators.js. Each function either throws the error Node 20
 * throws for the same arguments, or returns what the I/O needs.
 *
 * Positions follow what Node 20 hands to libuv: a safe integer >= 0 is an
 * absolute offset, anything else (negative numbers, fractions, NaN, bigint,
 * strings, null) means "the file's current position", returned as `null`.
 */
import { Buffer } from 'node:buffer';
import { constants as fsConstants } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { isArrayBufferView, isUint8Array } from 'node:util/types';
import {
  AbortError,
  ERR_INVALID_ARG_TYPE,
  ERR_INVALID_ARG_VALUE,
  ERR_OUT_OF_RANGE,
  ERR_UNKNOWN_ENCODING,
  systemError,
} from './errors';

const { O_APPEND, O_CREAT, O_EXCL, O_RDONLY, O_RDWR, O_SYNC, O_TRUNC, O_WRONLY } = fsConstants;

/** Size of the buffer `FileHandle.read()` allocates when given none. */
const kDefaultReadBufferSize = 16384;

/** An options bag read the way Node destructures it: any property may be anything. */
export type Bag = { readonly [key: string]: unknown };

/** What Node accepts as `signal`: any object with an `aborted` property. */
export interface AbortSignalLike {
  readonly aborted: unknown;
  readonly reason?: unknown;
}

/**
 * `a - b` with JavaScript's coercion. Node computes defaults such as
 * `buffer.byteLength - offset` before validating the operands, so odd values
 * (a Symbol, a bigint) fail there with V8's own TypeError, and we do the same.
 */
function jsSubtract(a: unknown, b: unknown): number {
  return (a as number) - (b as number);
}

/** `object[key]`, which throws V8's TypeError for null and undefined as Node's destructuring does. */
function getProperty(object: unknown, key: string): unknown {
  return (object as Bag)[key];
}

/** Byte offset into a buffer: null/undefined mean 0, anything else must be an integer >= 0. */
function toBufferOffset(offset: unknown): number {
  if (offset === null || offset === undefined) return 0;
  validateInteger(offset, 'offset', 0);
  return offset;
}

/** `position` as libuv sees it: a safe integer >= 0, or null for "current position". */
function toFilePosition(position: unknown): number | null {
  if (typeof position === 'number' && Number.isSafeInteger(position) && position >= 0) {
    return position + 0; // -0 → 0
  }
  return null;
}

/** Node's validateInteger. */
export function validateInteger(
  value: unknown,
  name: string,
  min = Number.MIN_SAFE_INTEGER,
  max = Number.MAX_SAFE_INTEGER,
): asserts value is number {
  if (typeof value !== 'number') throw new ERR_INVALID_ARG_TYPE(name, 'number', value);
  if (!Number.isInteger(value)) throw new ERR_OUT_OF_RANGE(name, 'an integer', value);
  if (value < min || value > max) throw new ERR_OUT_OF_RANGE(name, `>= ${min} && <= ${max}`, value);
}

/** Node's validateInt32. */
export function validateInt32(value: unknown, name: string, min = -2147483648): asserts value is number {
  validateInteger(value, name, min, 2147483647);
}

function validateUint32(value: unknown, name: string): asserts value is number {
  validateInteger(value, name, 0, 4294967295);
}

/** Node's validateFunction. */
export function validateFunction(value: unknown, name: string): asserts value is (...args: never[]) => unknown {
  if (typeof value !== 'function') throw new ERR_INVALID_ARG_TYPE(name, 'Function', value);
}

/** Node's getValidatedFd: an int32 >= 0 (-0 reads as 0). */
export function getValidatedFd(fd: unknown, name = 'fd'): number {
  if (Object.is(fd, -0)) return 0;
  validateInt32(fd, name, 0);
  return fd;
}

/** Node's validateBoolean. */
export function validateBoolean(value: unknown, name: string): asserts value is boolean {
  if (typeof value !== 'boolean') throw new ERR_INVALID_ARG_TYPE(name, 'boolean', value);
}

function validateBuffer(value: unknown, name: string): asserts value is ArrayBufferView {
  if (!isArrayBufferView(value)) {
    throw new ERR_INVALID_ARG_TYPE(name, ['Buffer', 'TypedArray', 'DataView'], value);
  }
}

function validateBufferArray(buffers: unknown): asserts buffers is readonly ArrayBufferView[] {
  if (!Array.isArray(buffers)) throw new ERR_INVALID_ARG_TYPE('buffers', 'ArrayBufferView[]', buffers);
  for (let i = 0; i < buffers.length; i++) {
    if (!isArrayBufferView(buffers[i])) throw new ERR_INVALID_ARG_TYPE('buffers', 'ArrayBufferView[]', buffers);
  }
}

function validateStringAfterArrayBufferView(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') {
    throw new ERR_INVALID_ARG_TYPE(name, ['string', 'Buffer', 'TypedArray', 'DataView'], value);
  }
}

function validateAbortSignal(signal: unknown, name: string): asserts signal is AbortSignalLike | undefined {
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || !('aborted' in signal))) {
    throw new ERR_INVALID_ARG_TYPE(name, 'AbortSignal', signal);
  }
}

/** Node's `isURL`: duck-typed, so URL-like objects count too. */
function isURL(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  const { href, protocol, auth, path } = value as Bag;
  return Boolean(href && protocol && auth === undefined && path === undefined);
}

/**
 * Node's getValidatedPath: accepts a string, a Uint8Array or a `file:` URL
 * (URL errors are node:url's own) and rejects null bytes.
 * @param path The caller's path argument.
 * @param name Argument name used in error messages (`'path'`, `'oldPath'`, …).
 * @returns The path as a string, or as a Buffer (a view, not a copy) for byte paths.
 */
export function toPathString(path: unknown, name = 'path'): string | Buffer {
  const value = isURL(path) ? fileURLToPath(path as URL) : path;
  const reason = 'must be a string, Uint8Array, or URL without null bytes';
  if (typeof value === 'string') {
    if (value.includes('\u0000')) throw new ERR_INVALID_ARG_VALUE(name, value, reason);
    return value;
  }
  if (isUint8Array(value)) {
    if (value.includes(0)) throw new ERR_INVALID_ARG_VALUE(name, value, reason);
    return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
  throw new ERR_INVALID_ARG_TYPE(name, ['string', 'Buffer', 'URL'], value);
}

const stringFlags: ReadonlyMap<unknown, number> = new Map([
  ['r', O_RDONLY],
  ['rs', O_RDONLY | O_SYNC],
  ['sr', O_RDONLY | O_SYNC],
  ['r+', O_RDWR],
  ['rs+', O_RDWR | O_SYNC],
  ['sr+', O_RDWR | O_SYNC],
  ['w', O_TRUNC | O_CREAT | O_WRONLY],
  ['wx', O_TRUNC | O_CREAT | O_WRONLY | O_EXCL],
  ['xw', O_TRUNC | O_CREAT | O_WRONLY | O_EXCL],
  ['w+', O_TRUNC | O_CREAT | O_RDWR],
  ['wx+', O_TRUNC | O_CREAT | O_RDWR | O_EXCL],
  ['xw+', O_TRUNC | O_CREAT | O_RDWR | O_EXCL],
  ['a', O_APPEND | O_CREAT | O_WRONLY],
  ['ax', O_APPEND | O_CREAT | O_WRONLY | O_EXCL],
  ['xa', O_APPEND | O_CREAT | O_WRONLY | O_EXCL],
  ['as', O_APPEND | O_CREAT | O_WRONLY | O_SYNC],
  ['sa', O_APPEND | O_CREAT | O_WRONLY | O_SYNC],
  ['a+', O_APPEND | O_CREAT | O_RDWR],
  ['ax+', O_APPEND | O_CREAT | O_RDWR | O_EXCL],
  ['xa+', O_APPEND | O_CREAT | O_RDWR | O_EXCL],
  ['as+', O_APPEND | O_CREAT | O_RDWR | O_SYNC],
  ['sa+', O_APPEND | O_CREAT | O_RDWR | O_SYNC],
]);

/**
 * Node's stringToFlags: `'r'`, `'w+'`, `'ax'`, … or an int32 of O_* bits;
 * null/undefined mean `'r'`.
 * @param flags The caller's `flags` argument.
 * @returns The open(2) flags.
 */
export function parseOpenFlags(flags: unknown): number {
  if (typeof flags === 'number') {
    validateInt32(flags, 'flags');
    return flags;
  }
  if (flags === null || flags === undefined) return O_RDONLY;
  const parsed = stringFlags.get(flags);
  if (parsed === undefined) throw new ERR_INVALID_ARG_VALUE('flags', flags);
  return parsed;
}

/**
 * Node's parseFileMode: a uint32 or an octal string such as `'644'`.
 * @param mode The caller's `mode` argument.
 * @param def Used when `mode` is null or undefined (Node uses 0o666 for open);
 *   without it such a mode is a type error, as for `chmod`.
 * @returns The mode bits.
 */
export function parseMode(mode: unknown, def?: number): number {
  const value = mode ?? def;
  if (typeof value === 'string') {
    if (!/^[0-7]+$/.test(value)) {
      throw new ERR_INVALID_ARG_VALUE('mode', value, 'must be a 32-bit unsigned integer or an octal string');
    }
    return Number.parseInt(value, 8);
  }
  validateUint32(value, 'mode');
  return value;
}

/**
 * `{ offset = 0, length = byteLength - offset, position }` read off an options object the way Node
 * destructures it (getters run once each, in this order), still unvalidated.
 */
function fromOptions(options: unknown, byteLength: number): { offset: unknown; length: unknown; position: unknown } {
  let offset = getProperty(options, 'offset');
  if (offset === undefined) offset = 0;
  let length = getProperty(options, 'length');
  if (length === undefined) length = jsSubtract(byteLength, offset);
  return { offset, length, position: getProperty(options, 'position') };
}

/** A `FileHandle.read()` call, normalized. */
export interface ReadRequest {
  /** The buffer to read into: the caller's, or a new 16 KiB Buffer. */
  readonly buffer: ArrayBufferView;
  /** Byte offset into `buffer`. */
  readonly offset: number;
  /** Number of bytes to read. */
  readonly length: number;
  /** File offset, or null for the current file position. */
  readonly position: number | null;
  /**
   * True when Node resolves `{ bytesRead: length, buffer }` without any I/O
   * (`length` is 0 here, possibly -0 as in Node).
   */
  readonly earlyReturn: boolean;
}

/**
 * All `FileHandle.read` signatures: `read()`, `read(options)`,
 * `read(buffer, options)` and `read(buffer, offset, length, position)`.
 * Node 20 ignores bigint positions (reads at the current position) and
 * aborts the whole process when `length` passes its range checks without
 * being an int32 (e.g. 1.5, NaN, `'2'`, `{}`); there we throw the error
 * Node's write path gives for such a length instead.
 * @param bufferOrOptions A buffer, an options object, or undefined/null.
 * @param offsetOrOptions Offset into the buffer, or an options object.
 * @param length Number of bytes to read.
 * @param position File position.
 * @returns The read to perform.
 */
export function normalizeReadArgs(
  bufferOrOptions?: unknown,
  offsetOrOptions?: unknown,
  length?: unknown,
  position?: unknown,
): ReadRequest {
  let buffer = bufferOrOptions;
  let offset = offsetOrOptions;
  if (!isArrayBufferView(buffer)) {
    // read(options): a plain object, null or undefined.
    const isOptions =
      bufferOrOptions === null ||
      bufferOrOptions === undefined ||
      (typeof bufferOrOptions === 'object' && !Array.isArray(bufferOrOptions));
    if (!isOptions) throw new ERR_INVALID_ARG_TYPE('options', 'Object', bufferOrOptions);
    const options = bufferOrOptions ?? {};
    buffer = getProperty(options, 'buffer');
    if (buffer === undefined) buffer = Buffer.alloc(kDefaultReadBufferSize);
    offset = getProperty(options, 'offset');
    if (offset === undefined) offset = 0;
    length = getProperty(options, 'length');
    if (length === undefined) length = jsSubtract(getProperty(buffer, 'byteLength'), offset);
    position = getProperty(options, 'position');
    validateBuffer(buffer, 'buffer');
  }

  if (offset !== null && typeof offset === 'object') {
    // read(buffer, options)
    ({ offset, length, position } = fromOptions(offset, buffer.byteLength));
  }

  const start = toBufferOffset(offset);
  const count = length ?? buffer.byteLength - start;
  if (typeof count === 'number' && count === 0) {
    return { buffer, offset: start, length: count, position: null, earlyReturn: true };
  }
  if (buffer.byteLength === 0) {
    throw new ERR_INVALID_ARG_VALUE('buffer', buffer, 'is empty and cannot be written');
  }
  // Node's validateOffsetLengthRead compares `length` unvalidated, with JS coercion.
  const rawCount = count as number;
  if (rawCount < 0) throw new ERR_OUT_OF_RANGE('length', '>= 0', count);
  if (start + rawCount > buffer.byteLength) {
    throw new ERR_OUT_OF_RANGE('length', `<= ${buffer.byteLength - start}`, count);
  }
  validateInt32(count, 'length', 0); // Node 20 aborts the process here instead.

  return { buffer, offset: start, length: count, position: toFilePosition(position), earlyReturn: false };
}

/** A `FileHandle.write()` call, normalized. */
export interface WriteRequest<T> {
  /** The bytes to write (a view of the caller's buffer, or the encoded string). */
  readonly buffer: Uint8Array;
  /** The caller's first argument, which fs returns as `buffer` in `{ bytesWritten, buffer }`. */
  readonly source: T;
  /** File offset, or null for the current file position. */
  readonly position: number | null;
  /**
   * True when Node resolves `{ bytesWritten: 0, buffer: source }` without any
   * I/O (the first argument has `byteLength === 0`). A write that is merely
   * empty (`''`, or `length` 0) still goes to the kernel in Node.
   */
  readonly earlyReturn: boolean;
}

/**
 * `FileHandle.write(buffer, offset?, length?, position?)`,
 * `write(buffer, options)` and `write(string, position?, encoding?)`.
 * Node 20 ignores bigint positions (writes at the current position) and
 * writes strings with an unknown encoding as UTF-8.
 * @param buffer An ArrayBufferView or a string.
 * @param offsetOrOptions Offset into the buffer, an options object, or (for strings) the position.
 * @param length Number of bytes, or (for strings) the encoding.
 * @param position File position (buffers only).
 * @returns The write to perform.
 */
export function normalizeWriteArgs<T>(
  buffer: T,
  offsetOrOptions?: unknown,
  length?: unknown,
  position?: unknown,
): WriteRequest<T> {
  if ((buffer as { readonly byteLength?: unknown } | null | undefined)?.byteLength === 0) {
    return { buffer: new Uint8Array(0), source: buffer, position: null, earlyReturn: true };
  }

  if (isArrayBufferView(buffer)) {
    let offset = offsetOrOptions;
    if (typeof offset === 'object') {
      // write(buffer, options); a null offset is read as empty options too.
      ({ offset, length, position } = fromOptions(offsetOrOptions ?? {}, buffer.byteLength));
    }
    const start = toBufferOffset(offset);
    const count = typeof length === 'number' ? length : buffer.byteLength - start;
    // Node's validateOffsetLengthWrite.
    if (start > buffer.byteLength) throw new ERR_OUT_OF_RANGE('offset', `<= ${buffer.byteLength}`, start);
    if (count > buffer.byteLength - start) {
      throw new ERR_OUT_OF_RANGE('length', `<= ${buffer.byteLength - start}`, count);
    }
    if (count < 0) throw new ERR_OUT_OF_RANGE('length', '>= 0', count);
    validateInt32(count, 'length', 0);
    return {
      buffer: new Uint8Array(buffer.buffer, buffer.byteOffset + start, count),
      source: buffer,
      position: toFilePosition(position),
      earlyReturn: false,
    };
  }

  validateStringAfterArrayBufferView(buffer, 'buffer');
  const encoding = length;
  if (isHexEncoding(encoding) && buffer.length % 2 !== 0) {
    throw new ERR_INVALID_ARG_VALUE('encoding', encoding, `is invalid for data of length ${buffer.length}`);
  }
  // Node's C++ falls back to UTF-8 for anything it does not know.
  const byteEncoding = typeof encoding === 'string' && Buffer.isEncoding(encoding) ? encoding : 'utf8';
  return {
    buffer: Buffer.from(buffer, byteEncoding),
    source: buffer,
    position: toFilePosition(offsetOrOptions),
    earlyReturn: false,
  };
}

/** Node's `normalizeEncoding(enc) === 'hex'`, including its leniency about non-strings. */
function isHexEncoding(encoding: unknown): boolean {
  if (encoding === null || encoding === undefined) return false;
  return getProperty(encoding, 'length') === 3 && String.prototype.toLowerCase.call(encoding) === 'hex';
}

/** A `FileHandle.readv()` or `writev()` call, normalized. */
export interface VectorRequest {
  /** The caller's array, which fs returns as `buffers`. */
  readonly buffers: readonly ArrayBufferView[];
  /** File offset, or null for the current file position. */
  readonly position: number | null;
}

/**
 * `FileHandle.readv(buffers, position?)`. An empty array fails like Node's
 * (libuv's) `EINVAL: invalid argument, read`.
 * @param buffers Array of ArrayBufferViews.
 * @param position File position; only a number is honoured.
 * @returns The read to perform.
 */
export function normalizeReadvArgs(buffers: unknown, position?: unknown): VectorRequest {
  validateBufferArray(buffers);
  if (buffers.length === 0) throw systemError(-osConstants.errno.EINVAL, 'read');
  return { buffers, position: toFilePosition(position) };
}

/** A `FileHandle.writev()` call, normalized. */
export interface WritevRequest extends VectorRequest {
  /** True when Node resolves `{ bytesWritten: 0, buffers }` without I/O (empty array). */
  readonly earlyReturn: boolean;
}

/**
 * `FileHandle.writev(buffers, position?)`.
 * @param buffers Array of ArrayBufferViews.
 * @param position File position; only a number is honoured.
 * @returns The write to perform.
 */
export function normalizeWritevArgs(buffers: unknown, position?: unknown): WritevRequest {
  validateBufferArray(buffers);
  return { buffers, position: toFilePosition(position), earlyReturn: buffers.length === 0 };
}

/**
 * `FileHandle.truncate(len = 0)`: an integer; negative lengths mean 0.
 * @param len The caller's `len` argument.
 * @returns The length to truncate to.
 */
export function normalizeTruncateLength(len: unknown = 0): number {
  validateInteger(len, 'len');
  return Math.max(0, len);
}

/**
 * Node's getOptions: `options` may be nullish or a function (→ defaults), an
 * encoding string, or an object whose `encoding` and `signal` are checked.
 */
export function getOptions(options: unknown, defaults: Bag): Bag {
  if (options === null || options === undefined || typeof options === 'function') return defaults;
  let bag: Bag;
  if (typeof options === 'string') {
    bag = { ...defaults, encoding: options };
  } else if (typeof options === 'object') {
    bag = options as Bag;
  } else {
    throw new ERR_INVALID_ARG_TYPE('options', ['string', 'Object'], options);
  }
  const { encoding } = bag;
  if (encoding !== 'buffer' && encoding && !Buffer.isEncoding(encoding as string)) {
    throw new ERR_INVALID_ARG_VALUE('encoding', encoding, 'is invalid encoding');
  }
  const { signal } = bag;
  if (signal !== undefined) validateAbortSignal(signal, 'options.signal');
  return bag;
}

/** Normalized `readFile` options. */
export interface ReadFileOptions {
  /** Decode the contents with this encoding; null returns a Buffer. */
  readonly encoding: BufferEncoding | null;
  /** Open flags, still unvalidated: pass to {@link parseOpenFlags} when opening a path (after the path check, as Node does). */
  readonly flag: unknown;
  /** Checked before each step; see {@link checkAborted}. */
  readonly signal: AbortSignalLike | undefined;
}

/**
 * `readFile` options: an encoding string or `{ encoding, flag, signal }`.
 * `'buffer'` passes Node's option check but then fails with
 * ERR_UNKNOWN_ENCODING; for `FileHandle.readFile` that is also Node's order,
 * while path `readFile` in Node only reports it after opening the file.
 * @param options The caller's options argument.
 * @returns The options in normalized form.
 */
export function normalizeReadFileOptions(options?: unknown): ReadFileOptions {
  const bag = getOptions(options, { flag: 'r' });
  const { encoding, signal } = bag;
  if (encoding === 'buffer') throw new ERR_UNKNOWN_ENCODING(encoding);
  return {
    encoding: encoding ? (encoding as BufferEncoding) : null,
    flag: bag['flag'] || 'r',
    signal: signal as AbortSignalLike | undefined,
  };
}

/** Normalized `writeFile` / `appendFile` options. */
export interface WriteFileOptions {
  /** Encoding for string data; `'buffer'` is kept so that encoding a string fails as in Node. */
  readonly encoding: BufferEncoding | 'buffer';
  /** File mode, still unvalidated: pass to `parseMode(mode, 0o666)` when opening a path. */
  readonly mode: unknown;
  /** Open flags, still unvalidated: pass to {@link parseOpenFlags} when opening a path. */
  readonly flag: unknown;
  /** Checked before each step; see {@link checkAborted}. */
  readonly signal: AbortSignalLike | undefined;
  /** fsync the file before closing it (path form only; Node ignores it for FileHandles). */
  readonly flush: boolean;
}

/**
 * `writeFile` / `appendFile` options: an encoding string or
 * `{ encoding, mode, flag, signal, flush }`. Validate these before the data
 * ({@link toWriteFileData}), as Node does.
 * @param options The caller's options argument.
 * @param defaultFlag `'w'` for writeFile, `'a'` for appendFile.
 * @returns The options in normalized form.
 */
export function normalizeWriteFileOptions(options: unknown, defaultFlag: 'w' | 'a' = 'w'): WriteFileOptions {
  const bag = getOptions(options, { encoding: 'utf8', mode: 0o666, flag: defaultFlag });
  const flush = bag['flush'] ?? false;
  validateBoolean(flush, 'options.flush');
  return {
    encoding: (bag['encoding'] || 'utf8') as BufferEncoding | 'buffer',
    mode: bag['mode'],
    flag: bag['flag'] || defaultFlag,
    signal: bag['signal'] as AbortSignalLike | undefined,
    flush,
  };
}

/** `writeFile` data: bytes to write, or chunks to convert with {@link toWriteFileChunk} as they arrive. */
export type WriteFileData =
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }
  | { readonly kind: 'iterable'; readonly chunks: Iterable<unknown> | AsyncIterable<unknown> };

function isIterable(value: unknown): value is Iterable<unknown> | AsyncIterable<unknown> {
  if (value === null || value === undefined) return false;
  const object = value as { readonly [Symbol.iterator]?: unknown; readonly [Symbol.asyncIterator]?: unknown };
  return typeof object[Symbol.asyncIterator] === 'function' || typeof object[Symbol.iterator] === 'function';
}

/**
 * `writeFile` / `appendFile` data: a string, an ArrayBufferView, or any
 * (async) iterable other than those, e.g. an array of chunks or a stream.
 * @param data The caller's data argument.
 * @param encoding {@link WriteFileOptions.encoding}.
 * @returns The bytes to write, or the iterable to consume.
 */
export function toWriteFileData(data: unknown, encoding: BufferEncoding | 'buffer'): WriteFileData {
  if (isArrayBufferView(data)) {
    return { kind: 'bytes', bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  }
  if (typeof data !== 'string' && isIterable(data)) return { kind: 'iterable', chunks: data };
  validateStringAfterArrayBufferView(data, 'data');
  return { kind: 'bytes', bytes: toWriteFileChunk(data, encoding) };
}

/**
 * One chunk of iterable `writeFile` data: ArrayBufferViews as they are,
 * anything else through `Buffer.from(chunk, encoding)`, whose errors Node
 * lets through unchanged.
 * @param chunk A value produced by the iterable.
 * @param encoding {@link WriteFileOptions.encoding}.
 * @returns The chunk's bytes.
 */
export function toWriteFileChunk(chunk: unknown, encoding: BufferEncoding | 'buffer'): Uint8Array {
  if (isArrayBufferView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  // Buffer.from validates `chunk` and `encoding` itself.
  return Buffer.from(chunk as string, encoding as BufferEncoding);
}

/**
 * Node's checkAborted: throws {@link AbortError} (with `cause` set to the
 * signal's `reason`) when `signal.aborted` is truthy.
 * @param signal A signal from {@link normalizeReadFileOptions} or {@link normalizeWriteFileOptions}.
 */
export function checkAborted(signal: AbortSignalLike | undefined): void {
  if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
}
