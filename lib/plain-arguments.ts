/**
 * The argument shapes aiofs serves itself. Every I/O call aiofs accelerates first asks one of these
 * recognisers whether its arguments are "plain": a shape that every supported Node (20 to 26) accepts
 * and interprets the same way. A plain call runs over kernel AIO; anything else (a bigint or negative
 * position, a fractional length, an unknown option, a getter, a closed handle...) is handed, untouched,
 * to node's own function, which validates, coerces and fails exactly as the running Node does. So aiofs
 * writes no per-version validation rules of its own except the one table at the end of this file, for
 * the calls where node itself aborts the process instead of throwing.
 *
 * A recogniser never throws and never runs a getter twice: options objects are only plain when each
 * key it reads is an own data property (node would read an accessor once, in its own order).
 */
import { constants as fsConstants } from 'node:fs';
import { isArrayBufferView } from 'node:util/types';

import { ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE } from './errors';
import { NODE_MAJOR } from './node-originals';

/**
 * The largest file offset (plus length) aiofs serves itself. Below it, offset arithmetic in doubles is
 * exact; beyond it node's own call reports what the kernel says (EFBIG, EINVAL).
 */
export const MAX_PLAIN_POSITION = 2 ** 50;
/** The largest single transfer: node's kIoMaxLength (INT32_MAX). */
export const MAX_PLAIN_LENGTH = 2 ** 31 - 1;
/** Size of the buffer node's FileHandle.read() allocates when given none. */
const DEFAULT_READ_BUFFER_SIZE = 16384;

/** Encodings spelled the way every Node spells them, that Buffer.from and node's writeString agree on. */
const PLAIN_ENCODINGS: ReadonlySet<unknown> = new Set([
  'utf8',
  'utf-8',
  'latin1',
  'binary',
  'ascii',
  'ucs2',
  'ucs-2',
  'utf16le',
  'utf-16le',
  'base64',
  'base64url',
  'hex',
]);

/** A plain encoding, or undefined when none was given; null when the value is not plain. */
function plainEncoding(encoding: unknown): BufferEncoding | undefined | null {
  if (encoding === undefined || encoding === null) return undefined;
  return PLAIN_ENCODINGS.has(encoding) ? (encoding as BufferEncoding) : null;
}

const NOT_PLAIN = Symbol('not plain');
type Maybe<T> = T | typeof NOT_PLAIN;

/** The values of `keys` in `options` when it is a plain data object holding no other own key. */
function plainOptions<K extends string>(options: unknown, keys: readonly K[]): Maybe<Partial<Record<K, unknown>>> {
  if (typeof options !== 'object' || options === null) return NOT_PLAIN;
  const prototype = Object.getPrototypeOf(options) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return NOT_PLAIN;
  const values: Partial<Record<K, unknown>> = {};
  for (const key of Object.keys(options)) {
    if (!(keys as readonly string[]).includes(key)) return NOT_PLAIN;
    const descriptor = Object.getOwnPropertyDescriptor(options, key)!;
    if (!('value' in descriptor)) return NOT_PLAIN;
    values[key as K] = descriptor.value;
  }
  // Inherited keys would be read by node's destructuring: plain only when Object.prototype has none.
  for (const key of keys) if (!(key in values) && key in options) return NOT_PLAIN;
  return values;
}

function isIndex(value: unknown, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max;
}

/** A file position: null for "the file's current position", or an offset. */
function plainPosition(position: unknown, length: number): Maybe<number | null> {
  if (position === undefined || position === null) return null;
  return isIndex(position, MAX_PLAIN_POSITION - length) ? position + 0 : NOT_PLAIN; // + 0: -0 is 0
}

/** A plain read or write of `length` bytes at `offset` in `buffer`. */
export interface PlainTransfer {
  readonly buffer: NodeJS.ArrayBufferView;
  readonly offset: number;
  readonly length: number;
  /** null: at the file's current position. */
  readonly position: number | null;
}

function transfer(buffer: NodeJS.ArrayBufferView, offset: unknown, length: unknown, position: unknown): PlainTransfer | null {
  const size = buffer.byteLength;
  const start = offset === undefined || offset === null ? 0 : offset;
  if (!isIndex(start, size)) return null;
  const count = length === undefined || length === null ? size - start : length;
  // -0 is not plain: Node 20 and 22 resolve a read of -0 bytes with bytesRead -0, later Nodes with 0.
  if (!isIndex(count, Math.min(size - start, MAX_PLAIN_LENGTH)) || Object.is(count, -0)) return null;
  const at = plainPosition(position, count);
  return at === NOT_PLAIN ? null : { buffer, offset: start, length: count, position: at };
}

/**
 * FileHandle.read in its three forms: (buffer, offset?, length?, position?), (buffer, options) and
 * (options?). A length of 0 is plain: every Node resolves it with 0 bytes and no I/O.
 */
export function plainRead(first: unknown, second: unknown, third: unknown, fourth: unknown): PlainTransfer | null {
  if (isArrayBufferView(first)) {
    if (typeof second !== 'object' || second === null) return transfer(first, second, third, fourth);
    const options = plainOptions(second, ['offset', 'length', 'position']);
    return options === NOT_PLAIN ? null : transfer(first, options.offset, options.length, options.position);
  }
  const options = first === undefined || first === null ? {} : plainOptions(first, ['buffer', 'offset', 'length', 'position']);
  if (options === NOT_PLAIN) return null;
  const buffer = options.buffer === undefined ? Buffer.alloc(DEFAULT_READ_BUFFER_SIZE) : options.buffer;
  if (!isArrayBufferView(buffer)) return null;
  return transfer(buffer, options.offset, options.length, options.position);
}

/** FileHandle.readv(buffers, position?) / writev: an array of views, and a plain position. */
export function plainVector(
  buffers: unknown,
  position: unknown,
): { buffers: NodeJS.ArrayBufferView[]; total: number; position: number | null } | null {
  if (!Array.isArray(buffers)) return null;
  let total = 0;
  for (const buffer of buffers as unknown[]) {
    if (!isArrayBufferView(buffer)) return null;
    total += buffer.byteLength;
  }
  if (total > MAX_PLAIN_LENGTH) return null;
  const at = plainPosition(position, total);
  return at === NOT_PLAIN ? null : { buffers: buffers as NodeJS.ArrayBufferView[], total, position: at };
}

/** A plain write: the bytes to write and where. Empty writes are never plain (node makes the syscall). */
export interface PlainWrite {
  readonly bytes: Uint8Array;
  readonly position: number | null;
}

/** FileHandle.write in its forms: (buffer, offset?, length?, position?), (buffer, options) and (string, position?, encoding?). */
export function plainWrite(data: unknown, second: unknown, third: unknown, fourth: unknown): PlainWrite | null {
  let plain: PlainTransfer | null;
  if (typeof data === 'string') {
    const encoding = plainEncoding(third);
    const at = plainPosition(second, 0);
    if (encoding === null || at === NOT_PLAIN || data.length === 0) return null;
    const bytes = encodeString(data, encoding);
    if (bytes === null || bytes.byteLength > MAX_PLAIN_LENGTH || (at !== null && at + bytes.byteLength > MAX_PLAIN_POSITION))
      return null;
    return { bytes, position: at };
  }
  if (!isArrayBufferView(data)) return null;
  if (typeof second === 'object' && second !== null) {
    const options = plainOptions(second, ['offset', 'length', 'position']);
    plain = options === NOT_PLAIN ? null : transfer(data, options.offset, options.length, options.position);
  } else if (typeof second === 'object') {
    plain = transfer(data, undefined, undefined, undefined); // write(buffer, null): node reads null as {}
  } else {
    plain = transfer(data, second, third, fourth);
  }
  if (plain === null || plain.length === 0) return null;
  return { bytes: bytesOf(plain.buffer, plain.offset, plain.length), position: plain.position };
}

/**
 * `string` in `encoding` as node's writeString writes it. Hex with an odd length or a non-hex digit is
 * not plain (node's validateEncoding and its decoder have their own opinions on it).
 */
function encodeString(data: string, encoding: BufferEncoding | undefined): Uint8Array | null {
  if (encoding === 'hex' && (data.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(data))) return null;
  return Buffer.from(data, encoding ?? 'utf8');
}

/** The bytes `[offset, offset + length)` of `view`, as a Uint8Array (the view itself when it is one). */
export function bytesOf(view: NodeJS.ArrayBufferView, offset = 0, length = view.byteLength - offset): Uint8Array {
  if (view instanceof Uint8Array && offset === 0 && length === view.byteLength) return view;
  return new Uint8Array(view.buffer, view.byteOffset + offset, length);
}

/** readFile's options, plain: no `signal`, no `buffer` (Node 24+), no option aiofs does not know. */
export interface PlainReadFileOptions {
  readonly encoding: BufferEncoding | undefined;
  /** Open flags for the path form, as given (plain: a string node's open accepts alike everywhere). */
  readonly flag: string;
}

const { O_APPEND, O_CREAT, O_EXCL, O_RDONLY, O_RDWR, O_SYNC, O_TRUNC, O_WRONLY } = fsConstants;
/** node's stringToFlags table: the flag strings every supported Node reads alike, and their open(2) flags. */
const PLAIN_FLAGS: ReadonlyMap<unknown, number> = new Map([
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

/** The open(2) flags of a plain flag string. */
export function openFlags(flag: string): number {
  return PLAIN_FLAGS.get(flag)!;
}

export function plainReadFileOptions(options: unknown): PlainReadFileOptions | null {
  if (options === undefined || options === null) return { encoding: undefined, flag: 'r' };
  if (typeof options === 'string') {
    const encoding = plainEncoding(options);
    return encoding === null || encoding === undefined ? null : { encoding, flag: 'r' };
  }
  const bag = plainOptions(options, ['encoding', 'flag']);
  if (bag === NOT_PLAIN) return null;
  const encoding = plainEncoding(bag.encoding);
  const flag = bag.flag === undefined ? 'r' : bag.flag;
  if (encoding === null || !PLAIN_FLAGS.has(flag)) return null;
  return { encoding, flag: flag as string };
}

/** writeFile/appendFile's options, plain: no `signal`, no option aiofs does not know. */
export interface PlainWriteFileOptions {
  readonly encoding: BufferEncoding | undefined;
  readonly flag: string;
  readonly mode: number;
  readonly flush: boolean;
}

export function plainWriteFileOptions(options: unknown, defaultFlag: 'w' | 'a'): PlainWriteFileOptions | null {
  if (options === undefined || options === null) return { encoding: undefined, flag: defaultFlag, mode: 0o666, flush: false };
  if (typeof options === 'string') {
    const encoding = plainEncoding(options);
    return encoding === null || encoding === undefined ? null : { encoding, flag: defaultFlag, mode: 0o666, flush: false };
  }
  const bag = plainOptions(options, ['encoding', 'flag', 'mode', 'flush']);
  if (bag === NOT_PLAIN) return null;
  const encoding = plainEncoding(bag.encoding);
  const flag = bag.flag === undefined ? defaultFlag : bag.flag;
  const mode = bag.mode === undefined ? 0o666 : bag.mode;
  const flush = bag.flush === undefined ? false : bag.flush;
  if (encoding === null || !PLAIN_FLAGS.has(flag) || !isIndex(mode, 0o7777) || typeof flush !== 'boolean') return null;
  return { encoding, flag: flag as string, mode, flush };
}

/** writeFile's data, plain: a string or an ArrayBufferView (iterables and streams go to node). */
export function plainWriteFileData(data: unknown, encoding: BufferEncoding | undefined): Uint8Array | null {
  if (isArrayBufferView(data)) return bytesOf(data);
  if (typeof data !== 'string') return null;
  return encodeString(data, encoding);
}

/** A path node's open accepts on every supported Node: a string or Buffer without NUL bytes. */
export function plainPath(path: unknown): string | Buffer | null {
  if (typeof path === 'string') return path.length > 0 && !path.includes('\u0000') ? path : null;
  if (Buffer.isBuffer(path)) return path.length > 0 && !path.includes(0) ? path : null;
  return null;
}

/**
 * The rules aiofs must write itself: the calls for which node aborts the whole process (a failed CHECK
 * in its binding) instead of throwing, found by test/arguments-differential.test.ts. aiofs rejects them
 * with the error node gives for such a value elsewhere. Each returns that error, or null to hand the
 * call to node.
 */

/**
 * FileHandle.read on Node 20 and 22, with a length that passes node's range checks without being an
 * int32 (1.5, NaN, '2', {}...). Node 24 and later coerce it (`length |= 0`), so there it goes to node.
 * A bigint or symbol length goes to node everywhere: its range checks throw on it first.
 */
export function readLengthAbortError(first: unknown, second: unknown, third: unknown): Error | null {
  if (NODE_MAJOR >= 24) return null;
  let length = third;
  let offset = second;
  let size: number;
  if (isArrayBufferView(first)) {
    size = first.byteLength;
    if (typeof second === 'object' && second !== null) {
      ({ offset, length } = second as { offset?: unknown; length?: unknown });
    }
  } else {
    if (typeof first !== 'object' && first !== undefined) return null;
    const options = (first ?? {}) as { buffer?: unknown; offset?: unknown; length?: unknown };
    const buffer = options.buffer;
    if (buffer !== undefined && !isArrayBufferView(buffer)) return null;
    size = buffer === undefined ? DEFAULT_READ_BUFFER_SIZE : buffer.byteLength;
    ({ offset, length } = options);
  }
  if (offset === undefined || offset === null) offset = 0;
  if (!Number.isInteger(offset) || (offset as number) < 0) return null; // node's offset check fails first
  if (length === undefined || length === null || typeof length === 'bigint' || typeof length === 'symbol') return null;
  // What reaches node's binding after its JavaScript checks, which compare with coercion.
  const passesChecks = !((length as number) < 0) && !((offset as number) + (length as number) > size) && length !== 0;
  if (!passesChecks || (typeof length === 'number' && Number.isInteger(length) && length <= MAX_PLAIN_LENGTH)) return null;
  if (typeof length !== 'number') return new ERR_INVALID_ARG_TYPE('length', 'number', length);
  return new ERR_OUT_OF_RANGE('length', 'an integer', length);
}

/** FileHandle.write(buffer, offset, -0, ...): node's checks pass -0, its binding aborts (every Node). */
export function writeLengthAbortError(data: unknown, second: unknown, third: unknown): Error | null {
  if (!isArrayBufferView(data) || data.byteLength === 0) return null;
  const length = typeof second === 'object' && second !== null ? ownData(second, 'length') : third;
  return Object.is(length, -0) ? new ERR_OUT_OF_RANGE('length', '>= 0 && <= 2147483647 (not -0)', length) : null;
}

/** Node 20 and 22 pass -0 through as a flag or mode, and their binding aborts; later Nodes read it as 0. */
const MINUS_ZERO_ABORTS = NODE_MAJOR < 24;

/**
 * A file mode node's parseFileMode accepts but its binding does not: a uint32 past INT32_MAX (given as
 * a number or as an octal string) on every Node, and -0 on Node 20 and 22.
 */
export function modeAbortError(mode: unknown, name = 'mode'): Error | null {
  const value = typeof mode === 'string' && /^[0-7]+$/.test(mode) ? Number.parseInt(mode, 8) : mode;
  if (typeof value !== 'number') return null;
  if ((MINUS_ZERO_ABORTS && Object.is(value, -0)) || (Number.isInteger(value) && value > 2 ** 31 - 1 && value <= 2 ** 32 - 1)) {
    return new ERR_OUT_OF_RANGE(name, '>= 0 && <= 2147483647', mode);
  }
  return null;
}

/** open(2) flags of -0: Node 20 and 22's validateInt32 passes them, and their binding aborts. */
export function flagsAbortError(flags: unknown): Error | null {
  return MINUS_ZERO_ABORTS && Object.is(flags, -0) ? new ERR_OUT_OF_RANGE('flags', 'an int32 (not -0)', flags) : null;
}

/**
 * fs/promises' open(path, flags, mode) where node would abort on flags or mode: only once node's own
 * checks of the path and flags (which come first) pass.
 */
export function openAbortError(path: unknown, flags: unknown, mode: unknown): Error | null {
  if (plainPath(path) === null && !(path instanceof URL)) return null;
  const flagsError = flagsAbortError(flags);
  if (flagsError !== null) return flagsError;
  const flagsPass = flags === undefined || flags === null || PLAIN_FLAGS.has(flags) || isInt32(flags);
  return flagsPass ? modeAbortError(mode) : null;
}

function isInt32(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= -(2 ** 31) && value <= 2 ** 31 - 1;
}

/** An own data property's value, without running a getter (undefined otherwise). */
function ownData(object: object, key: string): unknown {
  const descriptor = Object.getOwnPropertyDescriptor(object, key);
  return descriptor !== undefined && 'value' in descriptor ? descriptor.value : undefined;
}
