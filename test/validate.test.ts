/**
 * Differential tests: every case calls the real node:fs/promises API and the
 * matching aiofs normalizer with the same arguments, and expects the same
 * outcome: the same error (class, name, code, message) or, when Node accepts
 * the call, the same I/O (bytes read or written, where, and what is returned).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  checkAborted,
  normalizeReadArgs,
  normalizeReadFileOptions,
  normalizeReadvArgs,
  normalizeTruncateLength,
  normalizeWriteArgs,
  normalizeWriteFileOptions,
  normalizeWritevArgs,
  parseMode,
  parseOpenFlags,
  toPathString,
  toWriteFileChunk,
  toWriteFileData,
} from '../lib/validate';
import type { ReadRequest, WriteFileOptions } from '../lib/validate';

/** The test file's contents; every byte differs, so bytes read reveal where they came from. */
const CONTENT = Buffer.from('0123456789abcdefghij');
/** Handles under test have their current file position here, not at 0. */
const CUR = 7;

let dir = '';
let file = '';
let counter = 0;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'aiofs-validate-'));
  file = path.join(dir, 'file.txt');
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A path in the temp dir that does not exist yet. */
function freshPath(): string {
  counter += 1;
  return path.join(dir, `new-${counter}`);
}

/** Resets the test file and opens it with the current position at CUR. */
async function freshHandle(flags = 'r+'): Promise<FileHandle> {
  await fs.writeFile(file, CONTENT);
  const fh = await fs.open(file, flags);
  await fh.read(Buffer.alloc(CUR), 0, CUR, null);
  return fh;
}

type Outcome = { readonly error: Record<string, unknown> } | { readonly ok: unknown };

function errorShape(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { thrown: err };
  const { code, errno, syscall } = err as NodeJS.ErrnoException;
  return { constructor: err.constructor.name, name: err.name, code, errno, syscall, message: err.message };
}

async function outcome(fn: () => unknown): Promise<Outcome> {
  try {
    return { ok: await fn() };
  } catch (err) {
    return { error: errorShape(err) };
  }
}

/** Latin-1 view of the bytes of any ArrayBufferView. */
function bytesOf(view: ArrayBufferView): string {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('latin1');
}

/** Where a returned buffer came from, relative to the call's arguments. */
function origin(buffer: unknown, args: readonly unknown[]): string {
  const [first] = args;
  if (buffer === first) return 'first argument';
  if (first !== null && typeof first === 'object' && (first as { buffer?: unknown }).buffer === buffer) {
    return 'options.buffer';
  }
  return 'new';
}

/** Four bytes read from the handle's current position: shows whether a call moved it. */
async function readNext(fh: FileHandle): Promise<string> {
  const { bytesRead, buffer } = await fh.read(Buffer.alloc(4), 0, 4, null);
  return buffer.toString('latin1', 0, bytesRead);
}

function contentAfterWrite(content: Buffer, at: number, bytes: Uint8Array): Buffer {
  if (bytes.length === 0) return content;
  const out = Buffer.alloc(Math.max(content.length, at + bytes.length));
  content.copy(out);
  out.set(bytes, at);
  return out;
}

const buf = (size: number): Buffer => Buffer.alloc(size, '.');
const xy = (): Buffer => Buffer.from('XY');

// ---------------------------------------------------------------------------

type Args = () => unknown[];

const readCases: [string, Args][] = [
  ['read()', () => []],
  ['read(undefined)', () => [undefined]],
  ['read(null)', () => [null]],
  ['read(undefined, 5): positional offset ignored', () => [undefined, 5]],
  ['read({})', () => [{}]],
  ['read({ length, position })', () => [{ length: 5, position: 3 }]],
  ['read({ buffer, offset, position })', () => [{ buffer: buf(5), offset: 1, position: 2 }]],
  ['read({ buffer, offset > byteLength })', () => [{ buffer: buf(5), offset: 6 }]],
  ['read({ buffer, offset = byteLength }): length 0', () => [{ buffer: buf(5), offset: 5 }]],
  ['read({ buffer, length > byteLength })', () => [{ buffer: buf(5), length: 6 }]],
  ['read({ buffer: empty })', () => [{ buffer: buf(0) }]],
  ['read({ buffer: empty, length: 1 })', () => [{ buffer: buf(0), length: 1 }]],
  ['read({ buffer: null })', () => [{ buffer: null }]],
  ['read({ buffer: null, length: 1 })', () => [{ buffer: null, length: 1 }]],
  ['read({ buffer: 5 })', () => [{ buffer: 5 }]],
  ["read({ buffer: 'abc' })", () => [{ buffer: 'abc' }]],
  ['read({ offset: 16384 })', () => [{ offset: 16384 }]],
  ['read({ offset: 16385 })', () => [{ offset: 16385 }]],
  ['read({ offset: -1 })', () => [{ offset: -1 }]],
  ["read({ offset: '1' })", () => [{ offset: '1' }]],
  ['read({ offset: Symbol() })', () => [{ offset: Symbol('s') }]],
  ['read({ offset: 1n })', () => [{ offset: 1n }]],
  ['read({ offset: null })', () => [{ offset: null }]],
  ['read({ position: 5n })', () => [{ length: 3, position: 5n }]],
  ['read({ position: -1 })', () => [{ length: 3, position: -1 }]],
  ['read({ position: 2 ** 53 })', () => [{ length: 3, position: 2 ** 53 }]],
  ['read({ position: 3 })', () => [{ length: 3, position: 3 }]],
  ['read({ buffer, offset: { offset: 1 } }): nested options', () => [{ buffer: buf(5), offset: { offset: 1, position: 2 } }]],
  ['read(5)', () => [5]],
  ["read('abc')", () => ['abc']],
  ['read(true)', () => [true]],
  ['read([])', () => [[]]],
  ['read(() => 1)', () => [() => 1]],
  ['read(Symbol())', () => [Symbol('s')]],
  ['read(5n)', () => [5n]],
  ['read(new Map())', () => [new Map()]],
  ['read(Object.create(null))', () => [Object.create(null)]],
  // read(buffer, offset, length, position): positions
  ...(
    [
      ['0', 0], ['-0', -0], ['5', 5], ['19', 19], ['20 (EOF)', 20], ['100', 100], ['2 ** 53 - 1', 2 ** 53 - 1],
      ['-1', -1], ['-5', -5], ['1.5', 1.5], ['NaN', NaN], ['Infinity', Infinity], ['-Infinity', -Infinity],
      ['2 ** 53', 2 ** 53], ['5n', 5n], ['0n', 0n], ['-1n', -1n], ['2n ** 63n', 2n ** 63n], ['2n ** 64n', 2n ** 64n],
      ["'5'", '5'], ['null', null], ['undefined', undefined], ['{}', {}], ['Symbol()', Symbol('p')], ['true', true],
    ] as [string, unknown][]
  ).map(([label, position]): [string, Args] => [`read(buf, 0, 3, ${label})`, () => [buf(3), 0, 3, position]]),
  // offsets
  ['read(buf, 4): length defaults to -1', () => [buf(3), 4]],
  ['read(buf, 3): length defaults to 0', () => [buf(3), 3]],
  ['read(buf, 4, 0): length 0 skips the offset check', () => [buf(3), 4, 0]],
  ['read(buf, 1.5)', () => [buf(3), 1.5]],
  ["read(buf, '1')", () => [buf(3), '1']],
  ['read(buf, -1)', () => [buf(3), -1]],
  ['read(buf, 2 ** 53)', () => [buf(3), 2 ** 53]],
  ['read(buf, Infinity)', () => [buf(3), Infinity]],
  ['read(buf, NaN)', () => [buf(3), NaN]],
  ['read(buf, 5n)', () => [buf(3), 5n]],
  ['read(buf, Symbol())', () => [buf(3), Symbol('o')]],
  ['read(buf, null, null, 5)', () => [buf(3), null, null, 5]],
  ['read(buf, undefined, undefined, 4)', () => [buf(3), undefined, undefined, 4]],
  ['read(buf, 1, undefined, 4)', () => [buf(3), 1, undefined, 4]],
  // lengths
  ['read(buf, 0, 0, "x")', () => [buf(3), 0, 0, 'x']],
  ['read(buf, 0, -0, 5): bytesRead -0', () => [buf(3), 0, -0, 5]],
  ['read(buf, 0, -1, 0)', () => [buf(3), 0, -1, 0]],
  ['read(buf, 0, 4, 0)', () => [buf(3), 0, 4, 0]],
  ['read(buf, 1, 3, 0)', () => [buf(3), 1, 3, 0]],
  ['read(buf, 1, 2, 0)', () => [buf(3), 1, 2, 0]],
  ['read(buf, 0, 2 ** 31, 0)', () => [buf(3), 0, 2 ** 31, 0]],
  ['read(buf, 0, Infinity, 0)', () => [buf(3), 0, Infinity, 0]],
  ['read(buf, 0, -Infinity, 0)', () => [buf(3), 0, -Infinity, 0]],
  ['read(buf, 0, 2n, 0): V8 mixing error', () => [buf(3), 0, 2n, 0]],
  ['read(buf, 0, -1n, 0)', () => [buf(3), 0, -1n, 0]],
  ["read(buf, 0, '-1', 0)", () => [buf(3), 0, '-1', 0]],
  ["read(buf, 0, '9', 0)", () => [buf(3), 0, '9', 0]],
  ['read(buf, 0, null, 4)', () => [buf(3), 0, null, 4]],
  ['read(buf, 0, Symbol(), 0)', () => [buf(3), 0, Symbol('l'), 0]],
  // empty buffers
  ['read(empty)', () => [buf(0)]],
  ['read(empty, 0, 0)', () => [buf(0), 0, 0]],
  ['read(empty, 0, 1)', () => [buf(0), 0, 1]],
  ['read(empty, 5)', () => [buf(0), 5]],
  // read(buffer, options)
  ['read(buf, { position: 5 })', () => [buf(3), { position: 5 }]],
  ['read(buf, { offset: 1, position: 5 })', () => [buf(3), { offset: 1, position: 5 }]],
  ['read(buf, { offset: 1, length: 1, position: 5 })', () => [buf(3), { offset: 1, length: 1, position: 5 }]],
  ['read(buf, { offset: 4 })', () => [buf(3), { offset: 4 }]],
  ['read(buf, { offset: 3 })', () => [buf(3), { offset: 3 }]],
  ['read(buf, { length: 0 })', () => [buf(3), { length: 0 }]],
  ['read(buf, { length: 5 })', () => [buf(3), { length: 5 }]],
  ['read(buf, { position: 5n })', () => [buf(3), { position: 5n }]],
  ['read(buf, {}, 1, 2): options override later arguments', () => [buf(3), {}, 1, 2]],
  ['read(buf, []): length is [].length', () => [buf(3), []]],
  ['read(buf, new Map())', () => [buf(3), new Map()]],
  // other views
  ['read(Uint16Array, 0, 4, 0)', () => [new Uint16Array(2), 0, 4, 0]],
  ['read(Uint16Array, 0, 5, 0)', () => [new Uint16Array(2), 0, 5, 0]],
  ['read({ buffer: Float64Array, position: 1 })', () => [{ buffer: new Float64Array(2), position: 1 }]],
  ['read(DataView, 1, 2, 3)', () => [new DataView(new ArrayBuffer(4)), 1, 2, 3]],
  ['read(offset view, 1, 3, 0)', () => [new Uint8Array(new ArrayBuffer(10), 2, 5), 1, 3, 0]],
  ['read(ArrayBuffer)', () => [new ArrayBuffer(4)]],
];

/** What Node's FileHandle.read did. */
async function nodeRead(args: unknown[]): Promise<Outcome> {
  const fh = await freshHandle('r');
  try {
    return await outcome(async () => {
      const read = fh.read as (...a: unknown[]) => Promise<{ bytesRead: number; buffer: ArrayBufferView }>;
      const r = await read.apply(fh, args);
      return {
        bytesRead: r.bytesRead,
        origin: origin(r.buffer, args),
        type: r.buffer.constructor.name,
        bytes: bytesOf(r.buffer),
        next: await readNext(fh),
      };
    });
  } finally {
    await fh.close();
  }
}

/** What Node would have done, according to our normalization. */
function simulateRead(req: ReadRequest): { bytesRead: number; after: number } {
  if (req.earlyReturn) return { bytesRead: req.length, after: CUR };
  const from = req.position ?? CUR;
  const chunk = CONTENT.subarray(Math.min(from, CONTENT.length), Math.min(from + req.length, CONTENT.length));
  new Uint8Array(req.buffer.buffer, req.buffer.byteOffset + req.offset, chunk.length).set(chunk);
  return { bytesRead: chunk.length, after: req.position === null ? CUR + chunk.length : CUR };
}

function ourRead(args: unknown[]): Promise<Outcome> {
  return outcome(() => {
    const req = normalizeReadArgs(...args);
    const { bytesRead, after } = simulateRead(req);
    return {
      bytesRead,
      origin: origin(req.buffer, args),
      type: req.buffer.constructor.name,
      bytes: bytesOf(req.buffer),
      next: CONTENT.toString('latin1', after, after + 4),
    };
  });
}

describe('normalizeReadArgs ≡ FileHandle.read', () => {
  it.each(readCases)('%s', async (_label, args) => {
    const expected = await nodeRead(args());
    expect(await ourRead(args())).toEqual(expected);
  });

  it('covers both accepted and rejected calls', async () => {
    const results = await Promise.all(readCases.slice(0, 40).map(([, args]) => ourRead(args())));
    expect(results.some((r) => 'ok' in r)).toBe(true);
    expect(results.some((r) => 'error' in r)).toBe(true);
  });

  it('reports the early return as such, with the caller buffer', () => {
    const b = buf(3);
    expect(normalizeReadArgs(b, 0, 0, 5)).toEqual({ buffer: b, offset: 0, length: 0, position: null, earlyReturn: true });
    expect(normalizeReadArgs(b, 1, 2, 5)).toEqual({ buffer: b, offset: 1, length: 2, position: 5, earlyReturn: false });
  });
});

/**
 * Node 20 aborts the whole process (a failed C++ CHECK) for these: `length`
 * passes the range checks but is not an int32. aiofs throws instead.
 */
describe('normalizeReadArgs where Node 20 aborts the process', () => {
  const cases: [string, string, Args, Record<string, unknown>][] = [
    ['length 1.5', 'Buffer.alloc(3), 0, 1.5, 0', () => [buf(3), 0, 1.5, 0], { code: 'ERR_OUT_OF_RANGE', message: 'The value of "length" is out of range. It must be an integer. Received 1.5' }],
    ['length NaN', 'Buffer.alloc(3), 0, NaN, 0', () => [buf(3), 0, NaN, 0], { code: 'ERR_OUT_OF_RANGE', message: 'The value of "length" is out of range. It must be an integer. Received NaN' }],
    ["length '2'", "Buffer.alloc(3), 0, '2', 0", () => [buf(3), 0, '2', 0], { code: 'ERR_INVALID_ARG_TYPE', message: 'The "length" argument must be of type number. Received type string (\'2\')' }],
    ['length true', 'Buffer.alloc(3), 0, true, 0', () => [buf(3), 0, true, 0], { code: 'ERR_INVALID_ARG_TYPE', message: 'The "length" argument must be of type number. Received type boolean (true)' }],
    ['length {} via read(buf, 1, {})', 'Buffer.alloc(3), 1, {}', () => [buf(3), 1, {}], { code: 'ERR_INVALID_ARG_TYPE', message: 'The "length" argument must be of type number. Received an instance of Object' }],
    ['options length 1.5', '{ buffer: Buffer.alloc(3), length: 1.5 }', () => [{ buffer: buf(3), length: 1.5 }], { code: 'ERR_OUT_OF_RANGE', message: 'The value of "length" is out of range. It must be an integer. Received 1.5' }],
  ];

  it.each(cases)('%s', (_label, source, args, error) => {
    expect(nodeAborts(`read(${source})`)).toBe(true);
    expect(() => normalizeReadArgs(...args())).toThrow(expect.objectContaining(error));
  });
});

/** Shared by the read and write tables: does Node 20 abort on `fh.<call>`? */
function nodeAborts(call: string): boolean {
  const child = spawnSync(
    process.execPath,
    ['-e', `require('fs/promises').open(${JSON.stringify(file)}, 'w+').then((fh) => fh.${call}).then(() => console.log('resolved'), () => console.log('rejected'))`],
    { encoding: 'utf8' },
  );
  return child.signal === 'SIGABRT' && child.stderr.includes('Assertion failed');
}

// ---------------------------------------------------------------------------

const writeCases: [string, Args][] = [
  // positions
  ...(
    [
      ['0', 0], ['-0', -0], ['5', 5], ['20', 20], ['30 (past EOF)', 30], ['-1', -1], ['-5', -5], ['1.5', 1.5],
      ['NaN', NaN], ['Infinity', Infinity], ['2 ** 53', 2 ** 53], ['5n', 5n], ['2n ** 64n', 2n ** 64n], ["'5'", '5'],
      ['null', null], ['undefined', undefined], ['{}', {}], ['Symbol()', Symbol('p')],
    ] as [string, unknown][]
  ).map(([label, position]): [string, Args] => [`write(XY, 0, 2, ${label})`, () => [xy(), 0, 2, position]]),
  // lengths
  ['write(XY, 0, 1, 5)', () => [xy(), 0, 1, 5]],
  ['write(XY, 0, 1.5, 5)', () => [xy(), 0, 1.5, 5]],
  ["write(XY, 0, '1', 5): non-number length means all", () => [xy(), 0, '1', 5]],
  ['write(XY, 0, NaN, 5)', () => [xy(), 0, NaN, 5]],
  ['write(XY, 0, -1, 5)', () => [xy(), 0, -1, 5]],
  ['write(XY, 0, 3, 5)', () => [xy(), 0, 3, 5]],
  ['write(XY, 0, Infinity, 5)', () => [xy(), 0, Infinity, 5]],
  ['write(XY, 0, 0, 5): zero-length write still happens', () => [xy(), 0, 0, 5]],
  ['write(XY, 0, null, 5)', () => [xy(), 0, null, 5]],
  ['write(XY, 0, 2n, 5)', () => [xy(), 0, 2n, 5]],
  // offsets
  ['write(XY, 3, 0, 5)', () => [xy(), 3, 0, 5]],
  ['write(XY, 2, 0, 5)', () => [xy(), 2, 0, 5]],
  ['write(XY, 2, undefined, 5)', () => [xy(), 2, undefined, 5]],
  ['write(XY, 1)', () => [xy(), 1]],
  ['write(XY, 1.5)', () => [xy(), 1.5]],
  ["write(XY, '1')", () => [xy(), '1']],
  ['write(XY, -1)', () => [xy(), -1]],
  ['write(XY, Infinity)', () => [xy(), Infinity]],
  ['write(XY, 5n)', () => [xy(), 5n]],
  ['write(XY)', () => [xy()]],
  // write(buffer, options)
  ['write(XY, { offset: 1, position: 3 })', () => [xy(), { offset: 1, position: 3 }]],
  ['write(XY, { offset: 1, length: 5, position: 3 })', () => [xy(), { offset: 1, length: 5, position: 3 }]],
  ['write(XY, { position: 3n })', () => [xy(), { position: 3n }]],
  ['write(XY, { length: 1 })', () => [xy(), { length: 1 }]],
  ['write(XY, {})', () => [xy(), {}]],
  ['write(XY, { offset: Symbol() })', () => [xy(), { offset: Symbol('o') }]],
  ['write(XY, { offset: 3 })', () => [xy(), { offset: 3 }]],
  ['write(XY, null, null, 3): null offset reads as empty options', () => [xy(), null, null, 3]],
  ['write(XY, [], 2, 5): length is [].length', () => [xy(), [], 2, 5]],
  // early returns
  ['write(empty, garbage...)', () => [buf(0), 'garbage', -5, 'x']],
  ['write({ byteLength: 0 })', () => [{ byteLength: 0 }]],
  ['write(empty Uint8Array)', () => [new Uint8Array(0)]],
  ['write(empty DataView)', () => [new DataView(new ArrayBuffer(0))]],
  // other views
  ['write(Uint16Array, 1, 2, 3)', () => [new Uint16Array([0x4142, 0x4344]), 1, 2, 3]],
  ['write(DataView, 0, 2, 1)', () => [new DataView(new Uint8Array([65, 66, 67]).buffer), 0, 2, 1]],
  ['write(offset view, 1, 2, 0)', () => [Buffer.from('0123456789').subarray(2, 6), 1, 2, 0]],
  ['write(Float32Array)', () => [new Float32Array([1.5])]],
  // strings
  ...(
    [
      ['-5', -5], ['1.5', 1.5], ['5', 5], ["'5'", '5'], ['5n', 5n], ['NaN', NaN], ['2 ** 53', 2 ** 53],
      ['Infinity', Infinity], ['null', null], ['undefined', undefined], ['30', 30], ['{}', {}],
    ] as [string, unknown][]
  ).map(([label, position]): [string, Args] => [`write('abc', ${label})`, () => ['abc', position]]),
  ...(
    [
      ['hex, odd length', 'abc', 'hex'], ['HEX, odd length', 'abc', 'HEX'], ['hex', 'abcd', 'hex'], ['hex text', '616263', 'hex'],
      ['hex, invalid digits', 'zz', 'hex'], ['hex, partly invalid', 'abzz', 'hex'], ['unknown encoding', 'abc', 'bogus'],
      ['numeric encoding', 'abc', 5], ['null encoding', 'abc', null], ["'buffer' encoding", 'é', 'buffer'],
      ['latin1', 'é', 'latin1'], ['Latin1', 'é', 'Latin1'], ['ascii', 'é', 'ascii'], ['ucs2', 'é', 'ucs2'],
      ['UTF-16LE', 'é', 'UTF-16LE'], ['base64', '/w==', 'base64'], ['base64url', '_w', 'base64url'], ['utf8', 'é', 'utf8'],
      ["array ['h','e','x']", 'abc', ['h', 'e', 'x']], ['empty string', '', 'utf8'], ['lone surrogate', '\ud800', undefined],
      ['string-like hex object', 'abc', { length: 3, toString: () => 'hex' }],
      ['string-like hex object, even', 'abcd', { length: 3, toString: () => 'hex' }],
    ] as [string, string, unknown][]
  ).map(([label, text, encoding]): [string, Args] => [`write(string, 2, ${label})`, () => [text, 2, encoding]]),
  // wrong types
  ['write(5)', () => [5]],
  ['write(null)', () => [null]],
  ['write(undefined)', () => [undefined]],
  ['write()', () => []],
  ['write({})', () => [{}]],
  ['write([1, 2])', () => [[1, 2]]],
  ['write(Symbol())', () => [Symbol('b')]],
  ['write(5n)', () => [5n]],
  ['write(true)', () => [true]],
  ['write(ArrayBuffer)', () => [new ArrayBuffer(2)]],
  ["write(new String('abc'))", () => [new String('abc')]],
];

async function nodeWrite(args: unknown[]): Promise<Outcome> {
  const fh = await freshHandle();
  try {
    return await outcome(async () => {
      const write = fh.write as (...a: unknown[]) => Promise<{ bytesWritten: number; buffer: unknown }>;
      const r = await write.apply(fh, args);
      return {
        bytesWritten: r.bytesWritten,
        returnsFirstArgument: r.buffer === args[0],
        next: await readNext(fh),
        content: (await fs.readFile(file)).toString('latin1'),
      };
    });
  } finally {
    await fh.close();
  }
}

function ourWrite(args: unknown[]): Promise<Outcome> {
  return outcome(() => {
    const [first, ...rest] = args;
    const req = normalizeWriteArgs(first, ...rest);
    const written = req.earlyReturn ? new Uint8Array(0) : req.buffer;
    const at = req.position ?? CUR;
    const after = req.position === null ? CUR + written.length : CUR;
    const content = contentAfterWrite(CONTENT, at, written);
    return {
      bytesWritten: written.length,
      returnsFirstArgument: req.source === first,
      next: content.toString('latin1', after, after + 4),
      content: content.toString('latin1'),
    };
  });
}

describe('normalizeWriteArgs ≡ FileHandle.write', () => {
  it.each(writeCases)('%s', async (_label, args) => {
    const expected = await nodeWrite(args());
    expect(await ourWrite(args())).toEqual(expected);
  });

  it.each([
    ['write(XY, 0, -0, 5)', 'write(Buffer.from("XY"), 0, -0, 5)', () => [xy(), 0, -0, 5]],
    ['write(XY, { length: -0 })', 'write(Buffer.from("XY"), { length: -0 })', () => [xy(), { length: -0 }]],
  ] as [string, string, Args][])('%s: Node 20 aborts the process; aiofs writes 0 bytes', (_label, source, args) => {
    expect(nodeAborts(source)).toBe(true);
    const [first, ...rest] = args();
    const req = normalizeWriteArgs(first, ...rest);
    expect(req.buffer.byteLength).toBe(0);
    expect(req.earlyReturn).toBe(false);
  });

  it('marks only the byteLength-0 shortcut as an early return', () => {
    expect(normalizeWriteArgs(buf(0), 'x').earlyReturn).toBe(true);
    expect(normalizeWriteArgs('', 0).earlyReturn).toBe(false);
    expect(normalizeWriteArgs(xy(), 2, 0).earlyReturn).toBe(false);
    expect(normalizeWriteArgs('abc', 3).source).toBe('abc');
  });
});

// ---------------------------------------------------------------------------

const positionVariants: [string, unknown][] = [
  ['none', undefined], ['0', 0], ['5', 5], ['100', 100], ['-5', -5], ['1.5', 1.5], ['2 ** 53', 2 ** 53], ['NaN', NaN],
  ['Infinity', Infinity], ['5n', 5n], ["'5'", '5'], ['null', null],
];

const readvCases: [string, Args][] = [
  ...positionVariants.map(([label, p]): [string, Args] => [`readv([3, 2], ${label})`, () => [[buf(3), buf(2)], p]]),
  ['readv([], 5): EINVAL', () => [[], 5]],
  ['readv([])', () => [[]]],
  ['readv([buf, 5])', () => [[buf(3), 5]]],
  ['readv(buf)', () => [buf(3)]],
  ['readv(null)', () => [null]],
  ["readv('x')", () => ['x']],
  ['readv()', () => []],
  ['readv(sparse array)', () => [[, buf(2)]]],
  ['readv([empty, 2])', () => [[buf(0), buf(2)], 0]],
  ['readv([Uint16Array, DataView])', () => [[new Uint16Array(1), new DataView(new ArrayBuffer(2))], 1]],
];

async function nodeReadv(args: unknown[]): Promise<Outcome> {
  const fh = await freshHandle('r');
  try {
    return await outcome(async () => {
      const readv = fh.readv as (...a: unknown[]) => Promise<{ bytesRead: number; buffers: ArrayBufferView[] }>;
      const r = await readv.apply(fh, args);
      return {
        bytesRead: r.bytesRead,
        returnsFirstArgument: r.buffers === args[0],
        bytes: r.buffers.map(bytesOf),
        next: await readNext(fh),
      };
    });
  } finally {
    await fh.close();
  }
}

function ourReadv(args: unknown[]): Promise<Outcome> {
  return outcome(() => {
    const req = normalizeReadvArgs(args[0], args[1]);
    let at = req.position ?? CUR;
    let bytesRead = 0;
    for (const b of req.buffers) {
      const chunk = CONTENT.subarray(Math.min(at, CONTENT.length), Math.min(at + b.byteLength, CONTENT.length));
      new Uint8Array(b.buffer, b.byteOffset, chunk.length).set(chunk);
      at += chunk.length;
      bytesRead += chunk.length;
    }
    const after = req.position === null ? CUR + bytesRead : CUR;
    return {
      bytesRead,
      returnsFirstArgument: req.buffers === args[0],
      bytes: req.buffers.map(bytesOf),
      next: CONTENT.toString('latin1', after, after + 4),
    };
  });
}

describe('normalizeReadvArgs ≡ FileHandle.readv', () => {
  it.each(readvCases)('%s', async (_label, args) => {
    const expected = await nodeReadv(args());
    expect(await ourReadv(args())).toEqual(expected);
  });
});

const writevCases: [string, Args][] = [
  ...positionVariants.map(([label, p]): [string, Args] => [
    `writev([XY, Z], ${label})`,
    () => [[xy(), Buffer.from('Z')], p],
  ]),
  ['writev([], 5): no I/O', () => [[], 5]],
  ['writev([XY, 5])', () => [[xy(), 5]]],
  ['writev(XY)', () => [xy()]],
  ['writev(null)', () => [null]],
  ["writev('x', 5)", () => ['x', 5]],
  ['writev()', () => []],
  ['writev([Uint16Array, DataView], 1)', () => [[new Uint16Array([0x4142]), new DataView(new Uint8Array([67]).buffer)], 1]],
  ['writev([empty], 3)', () => [[buf(0)], 3]],
];

async function nodeWritev(args: unknown[]): Promise<Outcome> {
  const fh = await freshHandle();
  try {
    return await outcome(async () => {
      const writev = fh.writev as (...a: unknown[]) => Promise<{ bytesWritten: number; buffers: unknown }>;
      const r = await writev.apply(fh, args);
      return {
        bytesWritten: r.bytesWritten,
        returnsFirstArgument: r.buffers === args[0],
        next: await readNext(fh),
        content: (await fs.readFile(file)).toString('latin1'),
      };
    });
  } finally {
    await fh.close();
  }
}

function ourWritev(args: unknown[]): Promise<Outcome> {
  return outcome(() => {
    const req = normalizeWritevArgs(args[0], args[1]);
    const bytes = req.earlyReturn ? Buffer.alloc(0) : Buffer.concat(req.buffers.map((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
    const content = contentAfterWrite(CONTENT, req.position ?? CUR, bytes);
    const after = req.position === null ? CUR + bytes.length : CUR;
    return {
      bytesWritten: bytes.length,
      returnsFirstArgument: req.buffers === args[0],
      next: content.toString('latin1', after, after + 4),
      content: content.toString('latin1'),
    };
  });
}

describe('normalizeWritevArgs ≡ FileHandle.writev', () => {
  it.each(writevCases)('%s', async (_label, args) => {
    const expected = await nodeWritev(args());
    expect(await ourWritev(args())).toEqual(expected);
  });
});

// ---------------------------------------------------------------------------

describe('normalizeTruncateLength ≡ FileHandle.truncate', () => {
  const cases: [string, unknown[]][] = [
    ['5', [5]], ['0', [0]], ['-0', [-0]], ['-5', [-5]], ['30 (extends)', [30]], ['none', []], ['undefined', [undefined]],
    ['1.5', [1.5]], ["'5'", ['5']], ['5n', [5n]], ['null', [null]], ['NaN', [NaN]], ['2 ** 53', [2 ** 53]],
    ['Infinity', [Infinity]], ['true', [true]], ['{}', [{}]],
  ];

  it.each(cases)('truncate(%s)', async (_label, args) => {
    const fh = await freshHandle();
    let expected: Outcome;
    try {
      const truncate = fh.truncate as (...a: unknown[]) => Promise<void>;
      expected = await outcome(async () => {
        await truncate.apply(fh, args);
        return (await fs.stat(file)).size;
      });
    } finally {
      await fh.close();
    }
    const ours = await outcome(() => (args.length === 0 ? normalizeTruncateLength() : normalizeTruncateLength(args[0])));
    expect(ours).toEqual(expected);
  });
});

// ---------------------------------------------------------------------------

describe('toPathString ≡ path validation of fs.promises.open and rename', () => {
  const missing = (): string => path.join(dir, 'missing dir', 'x y');
  const cases: [string, () => unknown][] = [
    ['string', () => missing()],
    ['Buffer', () => Buffer.from(missing())],
    ['Uint8Array', () => new Uint8Array(Buffer.from(missing()))],
    ['Uint8Array view with offset', () => new Uint8Array(Buffer.from(`zz${missing()}`).buffer.slice(0), 2)],
    ['file URL', () => pathToFileURL(missing())],
    ['file URL string (not a URL object)', () => pathToFileURL(missing()).href],
    ['URL-like object', () => ({ href: 'file:///nonexistent-aiofs', protocol: 'file:', pathname: '/nonexistent-aiofs', hostname: '' })],
    ['file URL with localhost', () => new URL('file://localhost/nonexistent-aiofs')],
    ['empty string', () => ''],
    ['relative path', () => 'nonexistent-aiofs/rel'],
    ['5', () => 5],
    ['null', () => null],
    ['undefined', () => undefined],
    ['{}', () => ({})],
    ['Symbol()', () => Symbol('p')],
    ['true', () => true],
    ['[]', () => []],
    ['Uint16Array', () => new Uint16Array([47])],
    ['ArrayBuffer', () => new ArrayBuffer(2)],
    ['string with null byte', () => '/tmp/a\u0000b'],
    ['long string with null byte', () => `${'/tmp/x'.repeat(30)}\u0000`],
    ['Buffer with null byte', () => Buffer.from('/tmp/a\u0000b')],
    ['Uint8Array with null byte', () => new Uint8Array([47, 0])],
    ['http URL', () => new URL('http://x/y')],
    ['file URL with host', () => new URL('file://host/y')],
    ['file URL with encoded slash', () => new URL('file:///tmp/a%2Fb')],
    ['file URL with encoded null byte', () => new URL('file:///tmp/a%00b')],
    ['URL-like http object', () => ({ href: 'x', protocol: 'http:' })],
    ['object with href but auth', () => ({ href: 'file:///x', protocol: 'file:', auth: null })],
  ];

  it.each(cases)('open(%s)', async (_label, make) => {
    const expected = await outcome(async () => {
      await fs.open(make() as string);
      return 'opened';
    });
    const ours = await outcome(async () => {
      const p = toPathString(make());
      await fs.open(p);
      return 'opened';
    });
    // Every path here is missing or invalid; ENOENT messages name the path, so equal errors mean equal paths.
    expect('error' in expected).toBe(true);
    expect(ours).toEqual(expected);
  });

  it.each(cases.filter(([label]) => label.includes('null') || /^\d|^[{[]|Symbol|true|undefined|Uint16|ArrayBuffer|http/.test(label)))(
    'rename names the argument: %s',
    async (_label, make) => {
      const asOld = await outcome(() => fs.rename(make() as string, '/nonexistent-aiofs'));
      expect(await outcome(() => toPathString(make(), 'oldPath'))).toEqual(asOld);
      const asNew = await outcome(() => fs.rename(path.join(dir, 'missing'), make() as string));
      expect(await outcome(() => toPathString(make(), 'newPath'))).toEqual(asNew);
    },
  );

  it('returns Buffers as views, not copies', () => {
    const u8 = new Uint8Array([47, 97]);
    const p = toPathString(u8);
    expect(Buffer.isBuffer(p)).toBe(true);
    expect((p as Buffer).buffer).toBe(u8.buffer);
  });
});

// ---------------------------------------------------------------------------

/** O_ACCMODE | O_APPEND | O_SYNC: the open flags the kernel keeps after open(2). */
const KEPT_FLAGS = 0o3 | 0o2000 | 0o4010000;

/** Everything observable about opening with `flags`: on a missing file and on an existing one. */
async function openBehaviour(flags: unknown): Promise<unknown> {
  const result: Record<string, unknown> = {};
  // Fixed paths, so that error messages (which name them) are comparable between runs.
  const missing = path.join(dir, 'flags-missing');
  await fs.rm(missing, { force: true });
  result['missing'] = await outcome(async () => {
    const fh = await fs.open(missing, flags as string);
    await fh.close();
    return (await fs.stat(missing)).size;
  });
  const existing = path.join(dir, 'flags-existing');
  await fs.writeFile(existing, CONTENT);
  result['existing'] = await outcome(async () => {
    const fh = await fs.open(existing, flags as string);
    try {
      const info = readFileSync(`/proc/self/fdinfo/${fh.fd}`, 'utf8');
      const octal = /flags:\s*([0-7]+)/.exec(info)?.[1] ?? '0';
      return { flags: Number.parseInt(octal, 8) & KEPT_FLAGS, size: (await fs.stat(existing)).size };
    } finally {
      await fh.close();
    }
  });
  return result;
}

describe('parseOpenFlags ≡ flags of fs.promises.open', () => {
  const { O_RDWR, O_CREAT } = fs.constants;
  const cases: unknown[] = [
    'r', 'rs', 'sr', 'r+', 'rs+', 'sr+', 'w', 'wx', 'xw', 'w+', 'wx+', 'xw+', 'a', 'ax', 'xa', 'as', 'sa', 'a+', 'ax+',
    'xa+', 'as+', 'sa+', undefined, null, 0, O_RDWR | O_CREAT, 'R', 'W', 'bogus', '', ' r', 'r ', 'rw', '0', 1.5, 2 ** 31,
    -(2 ** 31) - 1, NaN, Infinity, true, {}, [], 5n, Symbol('f'), new String('r'),
  ];

  const label = (flags: unknown): string =>
    typeof flags === 'string' ? `'${flags}'` : flags instanceof String ? "new String('r')" : String(flags as string);
  it.each(cases.map((flags) => [label(flags), flags]))(
    'open(path, %s)',
    async (_label, flags) => {
      const expected = await openBehaviour(flags);
      const ours = await outcome(async () => openBehaviour(parseOpenFlags(flags)));
      expect(ours).toEqual('error' in ours ? { error: (expected as { missing: { error: unknown } }).missing.error } : { ok: expected });
    },
  );

  it('returns numbers unchanged and null/undefined as O_RDONLY', () => {
    expect(parseOpenFlags(-1)).toBe(-1);
    expect(parseOpenFlags(undefined)).toBe(fs.constants.O_RDONLY);
    expect(parseOpenFlags('a+')).toBe(fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_RDWR);
  });
});

describe('parseMode ≡ mode of fs.promises.open and FileHandle.chmod', () => {
  const cases: unknown[] = [
    0o644, '644', '0644', '755', '0', 0, 0o7777, 2 ** 31 - 1, '17777777777', undefined, null, '0o644', '8', '', ' 644', '-1', -1, 1.5,
    2 ** 32, NaN, {}, 5n, true, [],
  ];
  const label = (mode: unknown): string => (typeof mode === 'string' ? `'${mode}'` : String(mode));

  it.each(cases.map((mode) => [label(mode), mode]))('open(new, "wx", %s)', async (_label, mode) => {
    const created = async (m: unknown): Promise<number> => {
      const target = freshPath();
      const fh = await fs.open(target, 'wx', m as number);
      await fh.close();
      return (await fs.stat(target)).mode & 0o7777;
    };
    const expected = await outcome(() => created(mode));
    expect(await outcome(() => created(parseMode(mode, 0o666)))).toEqual(expected);
  });

  it.each([
    ['open', `open(${JSON.stringify(path.join(os.tmpdir(), 'aiofs-never-created'))}, 'wx', 2 ** 32 - 1)`, 2 ** 32 - 1],
    ['open, octal string', `open(${JSON.stringify(path.join(os.tmpdir(), 'aiofs-never-created'))}, 'wx', '20000000000')`, 2 ** 31],
    ['chmod', 'chmod(2 ** 31)', 2 ** 31],
  ] as [string, string, number][])('modes >= 2 ** 31 (%s): Node 20 aborts the process; aiofs passes the uint32 on', (_label, call, mode) => {
    const source = `require('fs/promises').open(${JSON.stringify(file)}, 'r').then((fh) => ${call.startsWith('open') ? `require('fs/promises').${call}` : `fh.${call}`})`;
    const child = spawnSync(process.execPath, ['-e', source], { encoding: 'utf8' });
    expect(child.signal).toBe('SIGABRT');
    expect(child.stderr).toContain('Assertion failed');
    expect(parseMode(call.includes("'20000000000'") ? '20000000000' : mode, 0o666)).toBe(mode);
  });

  it.each(cases.map((mode) => [label(mode), mode]))('chmod(%s) (no default)', async (_label, mode) => {
    const chmodded = async (m: unknown): Promise<number> => {
      const target = freshPath();
      await fs.writeFile(target, '');
      const fh = await fs.open(target, 'r');
      try {
        await fh.chmod(m as number);
      } finally {
        await fh.close();
      }
      return (await fs.stat(target)).mode & 0o7777;
    };
    const expected = await outcome(() => chmodded(mode));
    expect(await outcome(() => chmodded(parseMode(mode)))).toEqual(expected);
  });
});

// ---------------------------------------------------------------------------

const readFileOptionCases: [string, () => unknown][] = [
  ['none', () => undefined],
  ['null', () => null],
  ["'utf8'", () => 'utf8'],
  ["'latin1'", () => 'latin1'],
  ["'hex'", () => 'hex'],
  ["'HEX'", () => 'HEX'],
  ["'base64'", () => 'base64'],
  ["'ucs2'", () => 'ucs2'],
  ["'buffer'", () => 'buffer'],
  ["'bogus'", () => 'bogus'],
  ["''", () => ''],
  ['5', () => 5],
  ['true', () => true],
  ['5n', () => 5n],
  ['Symbol()', () => Symbol('o')],
  ['function', () => () => 1],
  ['[]', () => []],
  ['{}', () => ({})],
  ['{ encoding: null }', () => ({ encoding: null })],
  ['{ encoding: 0 }', () => ({ encoding: 0 })],
  ['{ encoding: 5 }', () => ({ encoding: 5 })],
  ["{ encoding: 'bogus' }", () => ({ encoding: 'bogus' })],
  ["{ encoding: 'buffer' }", () => ({ encoding: 'buffer' })],
  ["{ encoding: 'BUFFER' }", () => ({ encoding: 'BUFFER' })],
  ["{ encoding: 'ascii' }", () => ({ encoding: 'ascii' })],
  ['inherited encoding', () => Object.create({ encoding: 'hex' })],
  ["new String('utf8')", () => new String('utf8')],
  ["{ flag: 'bogus' } (ignored for handles)", () => ({ flag: 'bogus' })],
  ['{ signal: 5 }', () => ({ signal: 5 })],
  ['{ signal: null }', () => ({ signal: null })],
  ['{ signal: {} }', () => ({ signal: {} })],
  ['{ signal: { aborted: false } }', () => ({ signal: { aborted: false } })],
  ["{ signal: { aborted: 'yes', reason } }", () => ({ signal: { aborted: 'yes', reason: 'why' } })],
  ['{ signal: aborted }', () => ({ signal: AbortSignal.abort('why') })],
  ['{ signal: live }', () => ({ signal: new AbortController().signal })],
  ["{ encoding: 'bogus', signal: 5 }", () => ({ encoding: 'bogus', signal: 5 })],
  ["{ encoding: 'buffer', signal: aborted }", () => ({ encoding: 'buffer', signal: AbortSignal.abort() })],
  ["{ encoding: 'hex', signal: aborted }", () => ({ encoding: 'hex', signal: AbortSignal.abort() })],
];

function describeContent(value: unknown): unknown {
  return Buffer.isBuffer(value) ? { buffer: value.toString('latin1') } : { string: value };
}

describe('normalizeReadFileOptions ≡ FileHandle.readFile', () => {
  it.each(readFileOptionCases)('readFile(%s)', async (_label, make) => {
    const fh = await freshHandle('r');
    let expected: Outcome;
    try {
      expected = await outcome(async () => describeContent(await fh.readFile(make() as undefined)));
    } finally {
      await fh.close();
    }
    const ours = await outcome(() => {
      const options = normalizeReadFileOptions(make());
      checkAborted(options.signal);
      // A handle reads from its current position.
      const rest = CONTENT.subarray(CUR);
      return describeContent(options.encoding === null ? rest : rest.toString(options.encoding));
    });
    expect(ours).toEqual(expected);
  });
});

describe('normalizeReadFileOptions ≡ fs.promises.readFile(path)', () => {
  const cases: [string, () => unknown, () => unknown][] = [
    ["{ flag: 'bogus' }", () => file, () => ({ flag: 'bogus' })],
    ["{ flag: 'r+' }", () => file, () => ({ flag: 'r+' })],
    ["{ flag: 'a+', encoding: 'hex' }", () => file, () => ({ flag: 'a+', encoding: 'hex' })],
    ["{ flag: 'w' }", () => file, () => ({ flag: 'w' })],
    ["{ flag: 'wx' }", () => file, () => ({ flag: 'wx' })],
    ["{ flag: '' } means 'r'", () => file, () => ({ flag: '' })],
    ['{ flag: 0 }', () => file, () => ({ flag: 0 })],
    ['{ flag: 5n }', () => file, () => ({ flag: 5n })],
    ['{ flag: 1.5 }', () => file, () => ({ flag: 1.5 })],
    ['bad path before bad flag', () => 5, () => ({ flag: 'bogus' })],
    ['aborted before bad path', () => 5, () => ({ signal: AbortSignal.abort() })],
    ['bad options before bad path', () => 5, () => 5],
    ['missing file', () => path.join(dir, 'missing'), () => 'utf8'],
  ];

  it.each(cases)('readFile(path, %s)', async (_label, makePath, makeOptions) => {
    await fs.writeFile(file, CONTENT);
    const expected = await outcome(async () => describeContent(await fs.readFile(makePath() as string, makeOptions() as undefined)));
    await fs.writeFile(file, CONTENT);
    const ours = await outcome(async () => {
      const options = normalizeReadFileOptions(makeOptions());
      checkAborted(options.signal);
      const target = toPathString(makePath());
      const fh = await fs.open(target, parseOpenFlags(options.flag), 0o666);
      try {
        const data = await fh.readFile();
        return describeContent(options.encoding === null ? data : data.toString(options.encoding));
      } finally {
        await fh.close();
      }
    });
    expect(ours).toEqual(expected);
  });
});

// ---------------------------------------------------------------------------

/** The bytes writeFile would write, per our normalization (same validation order as Node). */
async function ourWriteFileBytes(data: unknown, options: WriteFileOptions): Promise<Buffer> {
  const normalized = toWriteFileData(data, options.encoding);
  checkAborted(options.signal);
  if (normalized.kind === 'bytes') return Buffer.from(normalized.bytes);
  const parts: Uint8Array[] = [];
  for await (const chunk of normalized.chunks) {
    checkAborted(options.signal);
    parts.push(toWriteFileChunk(chunk, options.encoding));
  }
  return Buffer.concat(parts);
}

const writeFileDataCases: [string, () => unknown][] = [
  ["'hello'", () => 'hello'],
  ['Buffer', () => Buffer.from('hello')],
  ['Uint16Array', () => new Uint16Array([0x4142])],
  ['DataView', () => new DataView(new Uint8Array([65, 66, 67]).buffer, 1)],
  ["''", () => ''],
  ['empty Buffer', () => Buffer.alloc(0)],
  ["['ab', Buffer]", () => ['ab', Buffer.from('cd')]],
  ["['ab', 5]", () => ['ab', 5]],
  ['Set', () => new Set(['ab', 'c'])],
  ['generator', () => (function* gen() { yield 'g'; yield Buffer.from('h'); })()],
  ['async generator', () => (async function* gen() { yield 'a'; yield new Uint8Array([66]); })()],
  ["new String('abc')", () => new String('abc')],
  ['[[1, 2]]', () => [[0x41, 0x42]]],
  ['[{ length: 2 }]', () => [{ length: 2 }]],
  ['[Uint16Array]', () => [new Uint16Array([0x4142])]],
  ['5', () => 5],
  ['null', () => null],
  ['undefined', () => undefined],
  ['{}', () => ({})],
  ['{ toString }', () => ({ toString: () => 'x' })],
  ['true', () => true],
  ['5n', () => 5n],
  ['Symbol()', () => Symbol('d')],
  ['ArrayBuffer', () => new ArrayBuffer(2)],
];

const writeFileOptionCases: [string, () => unknown][] = [
  ['none', () => undefined],
  ['null', () => null],
  ["'latin1'", () => 'latin1'],
  ["'hex'", () => 'hex'],
  ["'bogus'", () => 'bogus'],
  ["'buffer'", () => 'buffer'],
  ["{ encoding: 'buffer' }", () => ({ encoding: 'buffer' })],
  ['{ encoding: 5 }', () => ({ encoding: 5 })],
  ["{ flush: 'yes' }", () => ({ flush: 'yes' })],
  ['{ flush: null }', () => ({ flush: null })],
  ['{ flush: true }', () => ({ flush: true })],
  ['{ signal: 5 }', () => ({ signal: 5 })],
  ['{ signal: aborted }', () => ({ signal: AbortSignal.abort('stop') })],
  ['5', () => 5],
  ['function', () => () => 1],
  ["{ mode: 'bogus', flag: 'bogus' } (ignored for handles)", () => ({ mode: 'bogus', flag: 'bogus' })],
];

describe('normalizeWriteFileOptions + toWriteFileData ≡ FileHandle.writeFile / appendFile', () => {
  const cases: [string, () => unknown, () => unknown][] = [
    ...writeFileDataCases.map(([label, data]): [string, () => unknown, () => unknown] => [`${label}, no options`, data, () => undefined]),
    ...writeFileOptionCases.map(([label, options]): [string, () => unknown, () => unknown] => [`'é', ${label}`, () => 'é', options]),
    ...writeFileOptionCases.map(([label, options]): [string, () => unknown, () => unknown] => [`5, ${label}`, () => 5, options]),
    ["Buffer, 'buffer'", () => Buffer.from('ok'), () => 'buffer'],
    ["['é'], 'latin1'", () => ['é'], () => 'latin1'],
    ["['é'], { encoding: 'buffer' }", () => ['é'], () => ({ encoding: 'buffer' })],
    ['hex string, hex', () => '68656c6c6f', () => 'hex'],
  ];

  for (const method of ['writeFile', 'appendFile'] as const) {
    it.each(cases)(`${method}(%s)`, async (_label, makeData, makeOptions) => {
      const fh = await freshHandle();
      let expected: Outcome;
      try {
        const call = fh[method] as (...a: unknown[]) => Promise<void>;
        expected = await outcome(async () => {
          await call.call(fh, makeData(), makeOptions());
          return (await fs.readFile(file)).toString('latin1');
        });
      } finally {
        await fh.close();
      }
      const ours = await outcome(async () => {
        const options = normalizeWriteFileOptions(makeOptions(), method === 'writeFile' ? 'w' : 'a');
        const bytes = await ourWriteFileBytes(makeData(), options);
        // A handle writes at its current position.
        return contentAfterWrite(CONTENT, CUR, bytes).toString('latin1');
      });
      expect(ours).toEqual(expected);
    });
  }
});

describe('normalizeWriteFileOptions ≡ fs.promises.writeFile / appendFile(path)', () => {
  type Case = [string, 'writeFile' | 'appendFile', () => unknown, () => unknown, () => unknown];
  const newFile = (): string => freshPath();
  const cases: Case[] = [
    ['writeFile truncates', 'writeFile', () => file, () => 'new', () => undefined],
    ['appendFile appends', 'appendFile', () => file, () => 'new', () => undefined],
    ["appendFile { flag: 'w' }", 'appendFile', () => file, () => 'new', () => ({ flag: 'w' })],
    ["appendFile 'hex' keeps flag a", 'appendFile', () => file, () => '4142', () => 'hex'],
    ["writeFile { flag: 'a' }", 'writeFile', () => file, () => 'new', () => ({ flag: 'a' })],
    ["writeFile { flag: 'wx' } on existing", 'writeFile', () => file, () => 'new', () => ({ flag: 'wx' })],
    ["writeFile { flag: 'bogus' }", 'writeFile', () => file, () => 'new', () => ({ flag: 'bogus' })],
    ["writeFile { flag: '' } means 'w'", 'writeFile', () => file, () => 'new', () => ({ flag: '' })],
    ["writeFile { mode: 'bogus' }", 'writeFile', newFile, () => 'new', () => ({ mode: 'bogus' })],
    ['writeFile { mode: 0o600 }', 'writeFile', newFile, () => 'new', () => ({ mode: 0o600 })],
    ["writeFile { mode: '640' }", 'writeFile', newFile, () => 'new', () => ({ mode: '640' })],
    ["appendFile 'latin1' to new file (mode 0o666)", 'appendFile', newFile, () => 'é', () => 'latin1'],
    ['writeFile { flush: true }', 'writeFile', newFile, () => ['a', 'b'], () => ({ flush: true })],
    ['bad data before bad path', 'writeFile', () => 5, () => 5, () => undefined],
    ['bad path before bad flag', 'writeFile', () => 5, () => 'x', () => ({ flag: 'bogus' })],
    ['aborted before bad path', 'writeFile', () => 5, () => 'x', () => ({ signal: AbortSignal.abort() })],
    ['bad data before aborted', 'appendFile', () => file, () => 5, () => ({ signal: AbortSignal.abort() })],
    ['bad flush before bad data', 'appendFile', () => file, () => 5, () => ({ flush: 1 })],
    ['bad flag before bad mode', 'writeFile', newFile, () => 'x', () => ({ flag: 'bogus', mode: 'bogus' })],
  ];

  it.each(cases)('%s', async (_label, method, makePath, makeData, makeOptions) => {
    const observe = async (target: unknown, run: () => Promise<void>): Promise<unknown> => {
      await run();
      const stat = await fs.stat(target as string);
      return { content: (await fs.readFile(target as string)).toString('latin1'), mode: stat.mode & 0o777 };
    };

    await fs.writeFile(file, CONTENT);
    const nodeTarget = makePath();
    const expected = await outcome(() =>
      observe(nodeTarget, () => (fs[method] as (...a: unknown[]) => Promise<void>)(nodeTarget, makeData(), makeOptions())),
    );

    await fs.writeFile(file, CONTENT);
    const ourTarget = makePath();
    const ours = await outcome(async () => {
      const options = normalizeWriteFileOptions(makeOptions(), method === 'writeFile' ? 'w' : 'a');
      const bytes = await ourWriteFileBytes(makeData(), options);
      const target = toPathString(ourTarget);
      const fh = await fs.open(target, parseOpenFlags(options.flag), parseMode(options.mode, 0o666));
      try {
        await fh.write(bytes, 0, bytes.length, null);
        if (options.flush) await fh.sync();
      } finally {
        await fh.close();
      }
      return observe(target, async () => undefined);
    });
    expect(ours).toEqual(expected);
  });
});
