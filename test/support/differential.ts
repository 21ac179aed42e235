/**
 * Differential testing of aiofs against node:fs/promises.
 *
 * A case is plain data (JSON, so a failing one can be printed and replayed): the initial file, the
 * open flags, a list of handle operations and a list of path operations. It is run twice, in the same
 * directory, on two identical files: once through node:fs/promises, once through aiofs. After every
 * step both outcomes are normalized (returned values including every byte of the caller's
 * ArrayBuffers, or the error's class, code, errno, syscall, own keys and message with the file's path
 * replaced) and must be equal; at the end both files must hold the same bytes.
 *
 * Cases come from a seeded PRNG: AIOFS_TEST_SEED overrides the seed (a number, or `random`),
 * AIOFS_TEST_CASES the number of cases per filesystem, AIOFS_TEST_CASE runs a single case index.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';

import { describeFilesystems, type TestFs } from './filesystems';

// ---------------------------------------------------------------------------------------------
// The two implementations
// ---------------------------------------------------------------------------------------------

/* eslint-disable @typescript-eslint/no-explicit-any */
/** The FileHandle surface both implementations share (loosely typed: the cases pass odd arguments). */
export interface AnyHandle {
  readonly fd: number;
  readonly backend?: { readonly name: string; readonly reason: string };
  read(...args: any[]): Promise<any>;
  readv(...args: any[]): Promise<any>;
  write(...args: any[]): Promise<any>;
  writev(...args: any[]): Promise<any>;
  sync(): Promise<void>;
  datasync(): Promise<void>;
  stat(...args: any[]): Promise<any>;
  truncate(...args: any[]): Promise<void>;
  close(): Promise<void>;
  readFile(...args: any[]): Promise<any>;
  writeFile(...args: any[]): Promise<void>;
  appendFile(...args: any[]): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** What a test needs of `aiofs/promises` (the module is loaded by the test file, see fallback.test.ts). */
export interface AiofsPromises {
  open(path: string, flags?: any, mode?: any): Promise<any>;
  readFile(path: any, options?: any): Promise<any>;
  writeFile(path: any, data: any, options?: any): Promise<void>;
  appendFile(path: any, data: any, options?: any): Promise<void>;
}

export interface Impl {
  readonly label: 'fs' | 'aiofs';
  open(path: string, flags?: any, mode?: any): Promise<AnyHandle>;
  readFile(path: string, options?: any): Promise<any>;
  writeFile(path: string, data: any, options?: any): Promise<void>;
  appendFile(path: string, data: any, options?: any): Promise<void>;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export const nodeImpl: Impl = {
  label: 'fs',
  open: (p, flags, mode) => fsp.open(p, flags, mode) as Promise<unknown> as Promise<AnyHandle>,
  readFile: (p, options) => fsp.readFile(p, options),
  writeFile: (p, data, options) => fsp.writeFile(p, data, options),
  appendFile: (p, data, options) => fsp.appendFile(p, data, options),
};

export function aiofsImpl(mod: AiofsPromises): Impl {
  return {
    label: 'aiofs',
    open: (p, flags, mode) => mod.open(p, flags, mode) as Promise<AnyHandle>,
    readFile: (p, options) => mod.readFile(p, options),
    writeFile: (p, data, options) => mod.writeFile(p, data, options),
    appendFile: (p, data, options) => mod.appendFile(p, data, options),
  };
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness
// ---------------------------------------------------------------------------------------------

/** sfc32, seeded through splitmix32: small, fast, and the same on every platform. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(...seeds: number[]) {
    let h = 0x9e3779b9;
    for (const s of seeds) h = Math.imul(h ^ (s >>> 0), 0x85ebca6b) ^ (h >>> 13) ^ Math.imul(s >>> 16, 0xc2b2ae35);
    const split = () => {
      h = (h + 0x9e3779b9) | 0;
      let z = h;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = split();
    this.#b = split();
    this.#c = split();
    this.#d = split();
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  float(): number {
    return this.u32() / 2 ** 32;
  }

  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)] as T;
  }

  /** Picks by weight: `[[weight, value], ...]`. */
  weighted<T>(items: readonly (readonly [number, T])[]): T {
    const total = items.reduce((sum, [w]) => sum + w, 0);
    let x = this.float() * total;
    for (const [w, value] of items) {
      x -= w;
      if (x < 0) return value;
    }
    return items[items.length - 1]![1];
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
}

/** The run's seed: AIOFS_TEST_SEED (decimal, 0x-hex, or `random`), else a fixed default. */
export function testSeed(): number {
  const raw = process.env.AIOFS_TEST_SEED;
  if (raw === undefined || raw === '') return 0x5eed_a10f;
  if (raw === 'random') return (Date.now() ^ (process.pid << 16)) >>> 0;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new Error(`AIOFS_TEST_SEED must be an integer or 'random', not ${raw}`);
  return value >>> 0;
}

/** Number of random cases per filesystem: AIOFS_TEST_CASES, else `fallback`. */
export function caseCount(fallback: number): number {
  const raw = process.env.AIOFS_TEST_CASES;
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`AIOFS_TEST_CASES must be a positive integer, not ${raw}`);
  return value;
}

/** Case indexes to run: just AIOFS_TEST_CASE when set, else 0..count-1. */
export function caseIndexes(count: number): number[] {
  const only = process.env.AIOFS_TEST_CASE;
  if (only !== undefined && only !== '') return only.split(',').map(Number);
  return Array.from({ length: count }, (_, i) => i);
}

// ---------------------------------------------------------------------------------------------
// Deterministic bytes
// ---------------------------------------------------------------------------------------------

const POOL_SIZE = 12 * 1024 * 1024;
let pool: Buffer | undefined;

/** 12 MiB of fixed pseudo-random bytes; data and file contents are slices of it. */
function bytePool(): Buffer {
  if (pool === undefined) {
    pool = Buffer.allocUnsafeSlow(POOL_SIZE);
    const words = new Uint32Array(pool.buffer, pool.byteOffset, POOL_SIZE / 4);
    const rng = new Rng(0xb17e5);
    for (let i = 0; i < words.length; i++) words[i] = rng.u32();
  }
  return pool;
}

/** `length` deterministic bytes for `seed` (a view: copy before handing it to the code under test). */
export function patternBytes(seed: number, length: number): Buffer {
  const source = bytePool();
  if (length > POOL_SIZE) throw new Error(`pattern of ${length} bytes is larger than the pool`);
  const start = (seed >>> 0) % (POOL_SIZE - length + 1);
  return source.subarray(start, start + length);
}

// ---------------------------------------------------------------------------------------------
// Case descriptions
// ---------------------------------------------------------------------------------------------

/** A position argument: a number, null, omitted, or something Node treats as "current position". */
export type PosSpec = number | null | 'omit' | 'neg1' | 'bigint';

export type ViewType = 'Buffer' | 'Uint8Array' | 'Uint16Array' | 'Float64Array' | 'DataView';

/** A view at byte `lead` of a fresh ArrayBuffer of `lead + bytes + tail` bytes filled from `seed`. */
export interface BufSpec {
  type: ViewType;
  lead: number;
  bytes: number;
  tail: number;
  seed: number;
}

export type WriteData =
  | { kind: 'string'; text: string }
  | { kind: 'view'; buf: BufSpec }
  | { kind: 'chunks'; parts: (string | BufSpec)[] }
  | { kind: 'async-chunks'; parts: BufSpec[] };

export type Op =
  | {
      kind: 'read';
      form: 'args' | 'buffer' | 'none' | 'options' | 'buffer+options';
      buf?: BufSpec;
      offset?: number | null;
      length?: number | null;
      position: PosSpec;
    }
  | { kind: 'readv'; bufs: BufSpec[]; position: PosSpec }
  | {
      kind: 'write';
      form: 'args' | 'buffer' | 'options';
      buf: BufSpec;
      offset?: number | null;
      length?: number | null;
      position: PosSpec;
    }
  | { kind: 'write-string'; text: string; position: PosSpec; encoding?: string }
  | { kind: 'writev'; bufs: BufSpec[]; position: PosSpec }
  | { kind: 'truncate'; len?: number }
  | { kind: 'sync' }
  | { kind: 'datasync' }
  | { kind: 'stat'; bigint?: boolean }
  | { kind: 'readFile'; options?: unknown }
  | { kind: 'writeFile'; data: WriteData; options?: unknown }
  | { kind: 'appendFile'; data: WriteData; options?: unknown }
  /** Issued together without awaiting in between; the group's results are compared one by one. */
  | { kind: 'concurrent'; ops: Op[] }
  /** close() (or Symbol.asyncDispose), then every method once: all must fail like fs's. */
  | { kind: 'close-then-all'; dispose: boolean };

export type PathOp =
  | { kind: 'path-readFile'; options?: unknown }
  | { kind: 'path-writeFile'; data: WriteData; options?: unknown }
  | { kind: 'path-appendFile'; data: WriteData; options?: unknown };

export type Target = 'existing' | 'missing' | 'dir' | 'notdir';

export interface CaseSpec {
  index: number;
  seed: number;
  /** Initial size of the file (for `existing`). */
  size: number;
  /** Whether aiofs's copy of the file is written through aiofs (not in the page cache on direct I/O). */
  initByAiofs: boolean;
  target: Target;
  flags: string | number;
  ops: Op[];
  pathOps: PathOp[];
}

// ---------------------------------------------------------------------------------------------
// Case generation
// ---------------------------------------------------------------------------------------------

const MiB = 1024 * 1024;
const HUGE_POSITION = 2 ** 32 + 123;
const SIZES = [0, 1, 511, 512, 513, 4095, 4096, 4097, 8193, 65536 + 3];
const BIG_SIZES = [3 * MiB + 17, 2 * MiB - 1];
const ENCODINGS = ['utf8', 'latin1', 'hex', 'base64', 'utf16le', 'ascii', 'ucs2', 'base64url'] as const;

/** Generator state: what is known about the file while ops are being chosen. */
interface GenState {
  rng: Rng;
  /** A lower bound of the file's size at this point (exact until something uncertain happens). */
  minSize: number;
  /** A guess at the size, for picking interesting positions. */
  size: number;
  writable: boolean;
  appending: boolean;
  allowHuge: boolean;
}

function interestingOffset(g: GenState, around: number): number {
  const r = g.rng;
  return r.weighted<number>([
    [3, 0],
    [3, around],
    [2, Math.max(0, around - r.int(1, 600))],
    [3, around + r.int(1, 9000)],
    [6, r.int(0, Math.max(0, around))],
    [3, r.pick([512, 4096, 8192, 65536]) * r.int(0, 4) + r.pick([-1, 0, 1, 3])],
    [1, r.int(MiB - 10, MiB + 10)],
  ]);
}

function genPosition(g: GenState, allowCurrent = true): PosSpec {
  const r = g.rng;
  if (allowCurrent && r.chance(0.3))
    return r.weighted<PosSpec>([
      [6, null],
      [3, 'omit'],
      [1, 'neg1'],
      [1, 'bigint'],
    ]);
  if (g.allowHuge && r.chance(0.08)) return HUGE_POSITION + r.int(0, 5000);
  return Math.max(0, interestingOffset(g, g.size));
}

function genLength(r: Rng): number {
  return r.weighted<number>([
    [2, 1],
    [2, r.int(2, 64)],
    [6, r.int(1, 5000)],
    [3, r.pick([511, 512, 513, 4095, 4096, 4097, 8192])],
    [2, r.int(5000, 70000)],
    [0.3, r.int(MiB, 3 * MiB + 100)],
  ]);
}

function genBuf(r: Rng, bytes: number, allowTyped = true): BufSpec {
  const type: ViewType = allowTyped
    ? r.weighted<ViewType>([
        [10, 'Buffer'],
        [3, 'Uint8Array'],
        [2, 'Uint16Array'],
        [1, 'Float64Array'],
        [2, 'DataView'],
      ])
    : 'Buffer';
  const unit = type === 'Uint16Array' ? 2 : type === 'Float64Array' ? 8 : 1;
  const size = Math.ceil(bytes / unit) * unit;
  let lead = r.weighted<number>([
    [4, 0],
    [4, r.int(1, 17)],
    [2, r.int(1, 5000)],
    [1, 4096],
  ]);
  lead -= lead % unit;
  return { type, lead, bytes: size, tail: r.pick([0, 0, 1, 7, r.int(1, 300)]), seed: r.u32() };
}

function genText(r: Rng, encoding?: string): string {
  const n = r.weighted<number>([
    [4, r.int(0, 40)],
    [4, r.int(1, 800)],
    [1, r.int(3000, 20000)],
  ]);
  if (encoding === 'hex') {
    let s = '';
    for (let i = 0; i < n * 2; i++) s += '0123456789abcdefABCDEF'[r.int(0, 21)];
    return r.chance(0.05) ? `${s}f` : s; // odd length: ERR_INVALID_ARG_VALUE
  }
  if (encoding === 'base64' || encoding === 'base64url') {
    let s = '';
    for (let i = 0; i < n; i++) s += 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_'[r.int(0, 65)];
    return s;
  }
  const alphabet = ['a', 'b', 'Z', ' ', '\n', '0', 'é', '€', 'ß', '😀', '\u0000', '\u00ff', 'Ω'];
  let s = '';
  for (let i = 0; i < n; i++) s += r.chance(0.7) ? String.fromCharCode(r.int(32, 126)) : r.pick(alphabet);
  return s;
}

function genWriteData(r: Rng): WriteData {
  return r.weighted<WriteData>([
    [4, { kind: 'string', text: genText(r) }],
    [4, { kind: 'view', buf: genBuf(r, genLength(r)) }],
    [
      1,
      {
        kind: 'chunks',
        parts: Array.from({ length: r.int(0, 4) }, () => (r.chance(0.5) ? genText(r) : genBuf(r, r.int(1, 9000)))),
      },
    ],
    [1, { kind: 'async-chunks', parts: Array.from({ length: r.int(1, 4) }, () => genBuf(r, r.int(1, 20000), false)) }],
  ]);
}

function genWriteFileOptions(r: Rng, data: WriteData, withFlag: boolean): unknown {
  const encoding =
    data.kind === 'string' || data.kind === 'chunks' ? r.pick([undefined, 'utf8', 'latin1', 'utf16le', 'ascii']) : undefined;
  const form = r.int(0, 3);
  if (form === 0) return undefined;
  if (form === 1 && encoding !== undefined) return encoding;
  const options: Record<string, unknown> = {};
  if (encoding !== undefined) options.encoding = encoding;
  if (withFlag && r.chance(0.7))
    options.flag = r.weighted([
      [3, 'w'],
      [2, 'a'],
      [2, 'r+'],
      [2, 'wx'],
      [1, 'a+'],
      [1, 'w+'],
      [1, 'ax'],
    ]);
  if (withFlag && r.chance(0.1)) options.mode = 0o600;
  if (r.chance(0.1)) options.flush = true;
  if (r.chance(0.03)) options.signal = 'aborted';
  return options;
}

/** A read or write at `position`, of `length` bytes (writes only when the handle is writable). */
function genRead(g: GenState, position: PosSpec, length: number): Op {
  const r = g.rng;
  const form = r.weighted<'args' | 'buffer' | 'none' | 'options' | 'buffer+options'>([
    [8, 'args'],
    [1, 'buffer'],
    [1, 'none'],
    [2, 'options'],
    [2, 'buffer+options'],
  ]);
  if (form === 'none') return { kind: 'read', form, position: 'omit' };
  let offset = r.weighted<number>([
    [5, 0],
    [3, r.int(1, 9)],
    [2, r.int(0, 3000)],
  ]);
  const buf = genBuf(r, offset + length + (r.chance(0.5) ? 0 : r.int(1, 500)));
  offset = Math.min(offset, buf.bytes);
  let len: number | null = Math.min(length, buf.bytes - offset);
  if (r.chance(0.04)) len = 0;
  if (r.chance(0.03)) len = buf.bytes - offset + r.int(1, 10); // ERR_OUT_OF_RANGE
  if (r.chance(0.02)) offset = buf.bytes + r.int(1, 4); // ERR_OUT_OF_RANGE
  if (r.chance(0.01)) len = -r.int(1, 10);
  if (r.chance(0.05)) len = null;
  if (form === 'buffer') return { kind: 'read', form, buf, position: 'omit' };
  const op: Op = { kind: 'read', form, buf, offset, length: len, position };
  if (form !== 'args' && r.chance(0.2)) delete op.offset;
  if (form !== 'args' && r.chance(0.3)) delete op.length;
  return op;
}

function genWrite(g: GenState, position: PosSpec, length: number): Op {
  const r = g.rng;
  if (r.chance(0.2)) {
    const encoding = r.chance(0.7) ? r.pick(ENCODINGS) : r.pick([undefined, 'bogus-enc']);
    return { kind: 'write-string', text: genText(r, encoding), position, encoding };
  }
  if (r.chance(0.12)) {
    const bufs = Array.from(
      {
        length: r.weighted([
          [1, 0],
          [3, 1],
          [6, r.int(2, 6)],
        ]),
      },
      () => genBuf(r, r.int(0, 1) ? r.int(1, 700) : r.int(0, 9000)),
    );
    return { kind: 'writev', bufs, position };
  }
  const form = r.weighted<'args' | 'buffer' | 'options'>([
    [7, 'args'],
    [1, 'buffer'],
    [2, 'options'],
  ]);
  let offset = r.weighted<number>([
    [5, 0],
    [3, r.int(1, 9)],
    [2, r.int(0, 3000)],
  ]);
  const buf = genBuf(r, offset + length + (r.chance(0.5) ? 0 : r.int(1, 500)));
  offset = Math.min(offset, buf.bytes);
  let len: number | null = Math.min(length, buf.bytes - offset);
  if (r.chance(0.03)) len = 0;
  if (r.chance(0.03)) len = buf.bytes - offset + r.int(1, 10);
  if (r.chance(0.02)) offset = buf.bytes + r.int(1, 4);
  if (r.chance(0.01)) len = -r.int(1, 10);
  if (r.chance(0.04)) len = null;
  if (form === 'buffer') return { kind: 'write', form, buf, position: 'omit' };
  const op: Op = { kind: 'write', form, buf, offset, length: len, position };
  if (form === 'options' && r.chance(0.2)) delete op.offset;
  if (form === 'options' && r.chance(0.3)) delete op.length;
  return op;
}

/** Disjoint writes packed so that neighbours share 512- and 4096-byte blocks, plus reads in the gaps. */
export function genConcurrentGroup(r: Rng, base: number, count: number, minSize: number, withReads: boolean): Op {
  const ops: Op[] = [];
  let at = base;
  for (let i = 0; i < count; i++) {
    const gap = r.weighted<number>([
      [5, 0],
      [3, r.int(1, 3)],
      [2, r.int(4, 700)],
    ]);
    if (withReads && gap > 0 && at + gap <= minSize && r.chance(0.5)) {
      ops.push({ kind: 'read', form: 'args', buf: genBuf(r, gap), offset: 0, length: gap, position: at });
    }
    at += gap;
    const length = r.weighted<number>([
      [3, r.int(1, 16)],
      [4, r.int(1, 1500)],
      [2, r.int(1, 9000)],
      [1, r.pick([512, 4096])],
    ]);
    const kind = r.weighted<'buf' | 'string' | 'writev'>([
      [8, 'buf'],
      [1, 'string'],
      [1, 'writev'],
    ]);
    if (kind === 'string') {
      ops.push({
        kind: 'write-string',
        text: Buffer.from(patternBytes(r.u32(), length)).toString('hex'),
        position: at,
        encoding: 'hex',
      });
    } else if (kind === 'writev') {
      const first = r.int(0, length);
      const bufs = [genBuf(r, first), genBuf(r, length - first)];
      ops.push({ kind: 'writev', bufs, position: at });
      // Typed arrays round their size up to whole elements: advance by what is really written.
      at += bufs.reduce((sum, b) => sum + b.bytes, 0) - length;
    } else {
      ops.push({ kind: 'write', form: 'args', buf: genBuf(r, length), offset: 0, length, position: at });
    }
    at += length;
  }
  if (withReads && r.chance(0.5) && base > 0) {
    const start = r.int(0, base - 1);
    const length = Math.min(base - start, r.int(1, 9000), Math.max(0, minSize - start));
    if (length > 0) ops.push({ kind: 'read', form: 'args', buf: genBuf(r, length), offset: 0, length, position: start });
  }
  return { kind: 'concurrent', ops: r.shuffle(ops) };
}

function genOp(g: GenState): Op {
  const r = g.rng;
  const kind = r.weighted<string>([
    [30, 'read'],
    [30, 'write'],
    [4, 'readv'],
    [5, 'truncate'],
    [2, 'sync'],
    [2, 'datasync'],
    [5, 'stat'],
    [3, 'readFile'],
    [2, 'writeFile'],
    [2, 'appendFile'],
    [g.appending ? 0 : 6, 'concurrent'],
    [2, 'concurrent-reads'],
  ]);
  switch (kind) {
    case 'read':
      return genRead(g, genPosition(g), genLength(r));
    case 'write': {
      const position = genPosition(g);
      const op = genWrite(g, position, genLength(r));
      // Writes never shrink the file, so minSize stays a lower bound (a write may fail: no raise here).
      if (typeof position === 'number' && position < HUGE_POSITION) g.size = Math.max(g.size, position + 1);
      return op;
    }
    case 'readv': {
      const bufs = Array.from(
        {
          length: r.weighted([
            [1, 0],
            [2, 1],
            [6, r.int(2, 6)],
          ]),
        },
        () => genBuf(r, r.chance(0.2) ? 0 : r.int(1, 6000)),
      );
      return { kind: 'readv', bufs, position: genPosition(g) };
    }
    case 'truncate': {
      const len = r.weighted<number | undefined>([
        [1, undefined],
        [1, -r.int(1, 100)],
        [8, Math.max(0, interestingOffset(g, g.size))],
        [g.allowHuge ? 0.4 : 0, HUGE_POSITION + 7],
      ]);
      g.minSize = Math.min(g.minSize, Math.max(0, len ?? 0));
      if (len !== undefined && len < HUGE_POSITION) g.size = Math.max(0, len);
      return len === undefined ? { kind: 'truncate' } : { kind: 'truncate', len };
    }
    case 'sync':
      return { kind: 'sync' };
    case 'datasync':
      return { kind: 'datasync' };
    case 'stat':
      return { kind: 'stat', bigint: r.chance(0.2) };
    case 'readFile':
      return {
        kind: 'readFile',
        options: r.pick([undefined, null, 'utf8', 'latin1', { encoding: 'hex' }, { encoding: null }, { signal: 'aborted' }]),
      };
    case 'writeFile':
    case 'appendFile': {
      const data = genWriteData(r);
      return { kind, data, options: genWriteFileOptions(r, data, false) };
    }
    case 'concurrent': {
      const base = Math.max(
        0,
        r.weighted<number>([
          [3, r.int(0, g.size)],
          [2, g.size - r.int(0, 3000)],
          [1, g.size + r.int(0, 9000)],
        ]),
      );
      const group = genConcurrentGroup(r, base, r.int(2, 24), g.writable ? g.minSize : 0, g.writable);
      if (g.writable && group.kind === 'concurrent') {
        // These writes are all valid, so (short of ENOSPC) the file now reaches the end of the last one.
        const end = Math.max(
          ...group.ops.map((o) => (o.kind === 'write' && typeof o.position === 'number' ? o.position + (o.length ?? 0) : 0)),
        );
        g.size = Math.max(g.size, end);
        g.minSize = Math.max(g.minSize, end);
      }
      return group;
    }
    default: {
      // Concurrent reads only, at explicit positions (nothing moves under them; reads at the file
      // position would race each other in fs too).
      const ops = Array.from({ length: r.int(2, 16) }, () =>
        genRead(g, Math.max(0, interestingOffset(g, g.size)), genLength(r)),
      ).filter((op) => op.kind === 'read' && typeof op.position === 'number');
      return { kind: 'concurrent', ops };
    }
  }
}

function genPathOp(r: Rng): PathOp {
  const kind = r.weighted<PathOp['kind']>([
    [3, 'path-readFile'],
    [3, 'path-writeFile'],
    [2, 'path-appendFile'],
  ]);
  if (kind === 'path-readFile') {
    return {
      kind,
      options: r.pick([
        undefined,
        'utf8',
        'base64',
        { encoding: 'latin1' },
        { flag: 'r' },
        { flag: 'a+' },
        { flag: 'r+', encoding: 'hex' },
        { flag: 'w+' },
        { encoding: 'buffer' },
      ]),
    };
  }
  const data = genWriteData(r);
  return { kind, data, options: genWriteFileOptions(r, data, true) };
}

const FLAG_CHOICES: readonly (readonly [number, string | number])[] = [
  [18, 'r'],
  [30, 'r+'],
  [8, 'w'],
  [12, 'w+'],
  [6, 'a'],
  [8, 'a+'],
  [3, 'wx'],
  [1, 'ax+'],
  [3, 'rs+'],
  [3, fs.constants.O_RDWR | fs.constants.O_CREAT],
  [1, fs.constants.O_RDWR | fs.constants.O_DSYNC],
];

/** The case with this index for this seed (the same on every filesystem). */
export function generateCase(seed: number, index: number): CaseSpec {
  const r = new Rng(seed, index);
  const size = r.chance(0.04) ? r.pick(BIG_SIZES) : r.chance(0.1) ? r.int(0, 20000) : r.pick(SIZES);
  const target = r.weighted<Target>([
    [92, 'existing'],
    [4, 'missing'],
    [3, 'dir'],
    [1, 'notdir'],
  ]);
  const flags = r.weighted(FLAG_CHOICES);
  const numeric = typeof flags === 'number' ? flags : 0;
  const access = typeof flags === 'string' ? flags : numeric & fs.constants.O_RDWR ? 'r+' : 'r';
  const truncating = typeof flags === 'string' && flags.startsWith('w');
  const writable = access !== 'r' && access !== 'rs';
  const g: GenState = {
    rng: r,
    minSize: truncating || target !== 'existing' ? 0 : size,
    size: truncating ? 0 : size,
    writable,
    appending: typeof flags === 'string' && flags.startsWith('a'),
    allowHuge: r.chance(0.25),
  };
  const ops: Op[] = [];
  const count = r.weighted<number>([
    [2, r.int(1, 3)],
    [5, r.int(3, 8)],
    [2, r.int(8, 16)],
  ]);
  for (let i = 0; i < count; i++) ops.push(genOp(g));
  if (r.chance(0.12)) ops.push({ kind: 'close-then-all', dispose: r.chance(0.3) });
  const pathOps = Array.from(
    {
      length: r.weighted([
        [4, 0],
        [3, 1],
        [2, r.int(2, 4)],
      ]),
    },
    () => genPathOp(r),
  );
  return { index, seed, size, initByAiofs: r.chance(0.5), target, flags, ops, pathOps };
}

// ---------------------------------------------------------------------------------------------
// Running ops and normalizing what they do
// ---------------------------------------------------------------------------------------------

interface Materialized {
  view: ArrayBufferView;
  backing: ArrayBuffer;
}

function materialize(spec: BufSpec): Materialized {
  const backing = new ArrayBuffer(spec.lead + spec.bytes + spec.tail);
  new Uint8Array(backing).set(patternBytes(spec.seed, backing.byteLength));
  let view: ArrayBufferView;
  switch (spec.type) {
    case 'Buffer':
      view = Buffer.from(backing, spec.lead, spec.bytes);
      break;
    case 'Uint8Array':
      view = new Uint8Array(backing, spec.lead, spec.bytes);
      break;
    case 'Uint16Array':
      view = new Uint16Array(backing, spec.lead, spec.bytes / 2);
      break;
    case 'Float64Array':
      view = new Float64Array(backing, spec.lead, spec.bytes / 8);
      break;
    case 'DataView':
      view = new DataView(backing, spec.lead, spec.bytes);
      break;
  }
  return { view, backing };
}

function toPosition(p: PosSpec): number | null | undefined | bigint {
  if (p === 'omit') return undefined;
  if (p === 'neg1') return -1;
  if (p === 'bigint') return 7n;
  return p;
}

function toData(data: WriteData): unknown {
  switch (data.kind) {
    case 'string':
      return data.text;
    case 'view':
      return materialize(data.buf).view;
    case 'chunks':
      return data.parts.map((part) => (typeof part === 'string' ? part : materialize(part).view));
    case 'async-chunks': {
      const parts = data.parts.map((part) => materialize(part).view);
      return (async function* () {
        for (const part of parts) {
          await new Promise((resolve) => setImmediate(resolve));
          yield part;
        }
      })();
    }
  }
}

/** Fresh option objects per run (an aborted signal cannot be JSON). */
function toOptions(options: unknown): unknown {
  if (options === null || typeof options !== 'object') return options;
  const copy: Record<string, unknown> = { ...(options as Record<string, unknown>) };
  if (copy.signal === 'aborted') copy.signal = AbortSignal.abort(new Error('aborted by the test'));
  return copy;
}

/** A copy of all bytes of a view's ArrayBuffer (so bytes outside the view are compared too). */
function backingBytes(m: Materialized): Buffer {
  return Buffer.from(new Uint8Array(m.backing).slice());
}

function viewBytes(view: ArrayBufferView): Buffer {
  return Buffer.from(new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice());
}

/**
 * The own keys of a result object. (fs/promises results also have a null prototype; that is checked
 * once by resultPrototypes(), not in every case, so that it cannot hide everything else.)
 */
function shape(value: object): string {
  return Object.keys(value).join(',');
}

/** Prototypes of the objects read/readv/write/writev resolve with, per implementation. */
export async function resultPrototypes(impl: Impl, file: string): Promise<Record<string, string>> {
  const describeProto = (value: object) => {
    const proto = Object.getPrototypeOf(value);
    return proto === null ? 'null' : proto === Object.prototype ? 'Object.prototype' : String(proto?.constructor?.name);
  };
  const handle = await impl.open(file, 'w+');
  const b = Buffer.from('abcdef');
  const calls: Record<string, () => Promise<object>> = {
    write: () => handle.write(b, 0, 6, 0),
    'write(string)': () => handle.write('xyz', 6),
    writev: () => handle.writev([b], 9),
    read: () => handle.read(Buffer.alloc(4), 0, 4, 0),
    'read()': () => handle.read(),
    readv: () => handle.readv([Buffer.alloc(4)], 0),
  };
  const out: Record<string, string> = {};
  try {
    for (const [name, call] of Object.entries(calls)) {
      const outcome = await settle(async () => describeProto(await call()));
      out[name] = 'ok' in outcome && outcome.ok ? String(outcome.value) : brief(outcome);
    }
    return out;
  } finally {
    await settle(() => handle.close());
    await fsp.rm(file, { force: true });
  }
}

async function runOp(h: AnyHandle, op: Op): Promise<unknown> {
  switch (op.kind) {
    case 'read': {
      const m = op.buf ? materialize(op.buf) : undefined;
      let result: { bytesRead: number; buffer: ArrayBufferView };
      switch (op.form) {
        case 'none':
          result = await h.read();
          break;
        case 'buffer':
          result = await h.read(m!.view);
          break;
        case 'args':
          result =
            op.position === 'omit'
              ? await h.read(m!.view, op.offset, op.length)
              : await h.read(m!.view, op.offset, op.length, toPosition(op.position));
          break;
        case 'options':
        case 'buffer+options': {
          const options: Record<string, unknown> = {};
          if ('offset' in op) options.offset = op.offset;
          if ('length' in op) options.length = op.length;
          if (op.position !== 'omit') options.position = toPosition(op.position);
          result = op.form === 'options' ? await h.read({ buffer: m!.view, ...options }) : await h.read(m!.view, options);
          break;
        }
      }
      return {
        shape: shape(result),
        bytesRead: result.bytesRead,
        sameBuffer: m ? result.buffer === m.view : `${result.buffer.constructor.name}(${result.buffer.byteLength})`,
        bytes: m ? backingBytes(m) : viewBytes(result.buffer),
      };
    }
    case 'readv': {
      const ms = op.bufs.map(materialize);
      const views = ms.map((m) => m.view);
      const result = op.position === 'omit' ? await h.readv(views) : await h.readv(views, toPosition(op.position));
      return {
        shape: shape(result),
        bytesRead: result.bytesRead,
        sameArray: result.buffers === views,
        bytes: ms.map(backingBytes),
      };
    }
    case 'write': {
      const m = materialize(op.buf);
      let result: { bytesWritten: number; buffer: unknown };
      if (op.form === 'buffer') {
        result = await h.write(m.view);
      } else if (op.form === 'args') {
        result =
          op.position === 'omit'
            ? await h.write(m.view, op.offset, op.length)
            : await h.write(m.view, op.offset, op.length, toPosition(op.position));
      } else {
        const options: Record<string, unknown> = {};
        if ('offset' in op) options.offset = op.offset;
        if ('length' in op) options.length = op.length;
        if (op.position !== 'omit') options.position = toPosition(op.position);
        result = await h.write(m.view, options);
      }
      return {
        shape: shape(result),
        bytesWritten: result.bytesWritten,
        sameBuffer: result.buffer === m.view,
        bytes: backingBytes(m),
      };
    }
    case 'write-string': {
      const args: unknown[] = [op.text];
      if (op.position !== 'omit' || op.encoding !== undefined) args.push(toPosition(op.position));
      if (op.encoding !== undefined) args.push(op.encoding);
      const result = await h.write(...args);
      return { shape: shape(result), bytesWritten: result.bytesWritten, sameBuffer: result.buffer === op.text };
    }
    case 'writev': {
      const ms = op.bufs.map(materialize);
      const views = ms.map((m) => m.view);
      const result = op.position === 'omit' ? await h.writev(views) : await h.writev(views, toPosition(op.position));
      return { shape: shape(result), bytesWritten: result.bytesWritten, sameArray: result.buffers === views };
    }
    case 'truncate':
      return 'len' in op ? h.truncate(op.len) : h.truncate();
    case 'sync':
      return h.sync();
    case 'datasync':
      return h.datasync();
    case 'stat': {
      const st = await h.stat(op.bigint ? { bigint: true } : undefined);
      return {
        size: typeof st.size === 'bigint' ? `${st.size}n` : st.size,
        isFile: st.isFile(),
        isDirectory: st.isDirectory(),
        mode: st.mode,
      };
    }
    case 'readFile': {
      const value = await h.readFile(toOptions(op.options));
      return typeof value === 'string' ? { string: value } : { buffer: Buffer.from(value) };
    }
    case 'writeFile':
      return h.writeFile(toData(op.data), toOptions(op.options));
    case 'appendFile':
      return h.appendFile(toData(op.data), toOptions(op.options));
    case 'concurrent': {
      const settled = await Promise.allSettled(op.ops.map((inner) => runOp(h, inner)));
      return settled.map((s) => (s.status === 'fulfilled' ? { ok: true, value: s.value } : { ok: false, error: s.reason }));
    }
    case 'close-then-all': {
      await (op.dispose ? h[Symbol.asyncDispose]() : h.close());
      const one = Buffer.alloc(8);
      const attempts: Record<string, () => Promise<unknown>> = {
        fd: async () => h.fd,
        read: () => h.read(one, 0, 1, 0),
        'read()': () => h.read(),
        readv: () => h.readv([one], 0),
        write: () => h.write(one, 0, 1, 0),
        'write(string)': () => h.write('x'),
        writev: () => h.writev([one]),
        sync: () => h.sync(),
        datasync: () => h.datasync(),
        stat: () => h.stat(),
        truncate: () => h.truncate(0),
        readFile: () => h.readFile(),
        writeFile: () => h.writeFile('x'),
        appendFile: () => h.appendFile('x'),
        close: () => h.close(),
        asyncDispose: () => h[Symbol.asyncDispose](),
      };
      const results: Record<string, unknown> = {};
      for (const [name, attempt] of Object.entries(attempts)) results[name] = await settle(attempt);
      return results;
    }
  }
}

async function runPathOp(impl: Impl, file: string, op: PathOp): Promise<unknown> {
  switch (op.kind) {
    case 'path-readFile': {
      const value = await impl.readFile(file, toOptions(op.options));
      return typeof value === 'string' ? { string: value } : { buffer: Buffer.from(value) };
    }
    case 'path-writeFile':
      return impl.writeFile(file, toData(op.data), toOptions(op.options));
    case 'path-appendFile':
      return impl.appendFile(file, toData(op.data), toOptions(op.options));
  }
}

export interface NormalizedError {
  class: string;
  name: string;
  code: unknown;
  errno: unknown;
  syscall: unknown;
  path: unknown;
  message: string;
  keys: string[];
  cause?: unknown;
}

export type Outcome =
  { ok: true; value: unknown } | { ok: false; error: NormalizedError | { thrown: string } } | { timeout: string };

function errorClass(error: Error): string {
  for (const ctor of [RangeError, TypeError, SyntaxError]) if (error instanceof ctor) return ctor.name;
  return 'Error';
}

/** An error as the comparison sees it, with the case's file paths replaced by `<file>`. */
export function normalizeError(error: unknown, paths: readonly string[]): NormalizedError | { thrown: string } {
  if (!(error instanceof Error)) return { thrown: inspect(error) };
  const replace = (text: unknown) => {
    if (typeof text !== 'string') return text;
    let out = text;
    for (const p of paths) out = out.split(p).join('<file>');
    return out;
  };
  const e = error as NodeJS.ErrnoException & { cause?: unknown };
  const normalized: NormalizedError = {
    class: errorClass(e),
    name: e.name,
    code: e.code,
    errno: e.errno,
    syscall: e.syscall,
    path: replace(e.path),
    message: replace(e.message) as string,
    keys: Object.keys(e).sort(),
  };
  if (e.cause !== undefined) normalized.cause = e.cause instanceof Error ? e.cause.message : inspect(e.cause);
  return normalized;
}

/** A step that has not settled after this long counts as hung (a mismatch, reported as a timeout). */
const OP_TIMEOUT_MS = 10_000;
/**
 * Once this many steps have hung in this process, no further cases, scenarios or rounds are started
 * (each would wait OP_TIMEOUT_MS): the tests then fail quickly, saying how much was not run.
 */
const MAX_HUNG_STEPS = 3;
let hungSteps = 0;

/** Whether aiofs has hung often enough that running more would only burn time. */
export function tooManyHung(): boolean {
  return hungSteps >= MAX_HUNG_STEPS;
}

async function settle(run: () => Promise<unknown>, paths: readonly string[] = []): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => {
      hungSteps++;
      resolve({ timeout: `no result after ${OP_TIMEOUT_MS} ms` });
    }, OP_TIMEOUT_MS);
  });
  try {
    const attempt = (async (): Promise<Outcome> => {
      try {
        return { ok: true, value: normalizeValue(await run(), paths) };
      } catch (error) {
        return { ok: false, error: normalizeError(error, paths) };
      }
    })();
    return await Promise.race([attempt, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Errors inside values (concurrent groups, close-then-all) get normalized too. */
function normalizeValue(value: unknown, paths: readonly string[]): unknown {
  if (value instanceof Error) return normalizeError(value, paths);
  if (Array.isArray(value)) return value.map((v) => normalizeValue(v, paths));
  if (
    value !== null &&
    typeof value === 'object' &&
    !Buffer.isBuffer(value) &&
    Object.getPrototypeOf(value) === Object.prototype
  ) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalizeValue(v, paths)]));
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Comparing
// ---------------------------------------------------------------------------------------------

/** Where `actual` first differs from `expected` (a readable sentence), or undefined when equal. */
export function difference(expected: unknown, actual: unknown, at = '$'): string | undefined {
  if (Buffer.isBuffer(expected) || Buffer.isBuffer(actual)) {
    if (!Buffer.isBuffer(expected) || !Buffer.isBuffer(actual)) return `${at}: ${brief(expected)} vs ${brief(actual)}`;
    if (expected.equals(actual)) return undefined;
    return `${at}: ${describeBytesDiff(expected, actual)}`;
  }
  if (Array.isArray(expected) || Array.isArray(actual)) {
    if (!Array.isArray(expected) || !Array.isArray(actual)) return `${at}: ${brief(expected)} vs ${brief(actual)}`;
    if (expected.length !== actual.length) return `${at}: length ${expected.length} vs ${actual.length}`;
    for (let i = 0; i < expected.length; i++) {
      const d = difference(expected[i], actual[i], `${at}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (expected !== null && actual !== null && typeof expected === 'object' && typeof actual === 'object') {
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    for (const key of keys) {
      const d = difference((expected as Record<string, unknown>)[key], (actual as Record<string, unknown>)[key], `${at}.${key}`);
      if (d) return d;
    }
    return undefined;
  }
  return Object.is(expected, actual) ? undefined : `${at}: fs ${brief(expected)} vs aiofs ${brief(actual)}`;
}

function describeBytesDiff(a: Buffer, b: Buffer): string {
  let i = 0;
  const n = Math.min(a.length, b.length);
  while (i < n && a[i] === b[i]) i++;
  let j = i;
  while (j < n && a[j] !== b[j]) j++;
  let lastDiff = n - 1;
  while (lastDiff > i && a[lastDiff] === b[lastDiff]) lastDiff--;
  const lengths = a.length === b.length ? `${a.length} bytes` : `lengths fs ${a.length} vs aiofs ${b.length}`;
  if (i === n) return `${lengths}, equal up to ${n}`;
  return (
    `${lengths}, first difference at byte ${i} (run of ${j - i}, last differing byte ${lastDiff}): ` +
    `fs ${a.subarray(i, i + 12).toString('hex')} vs aiofs ${b.subarray(i, i + 12).toString('hex')}`
  );
}

export function brief(value: unknown): string {
  return inspect(value, { depth: 4, maxArrayLength: 8, maxStringLength: 160, breakLength: Infinity });
}

// ---------------------------------------------------------------------------------------------
// Running cases
// ---------------------------------------------------------------------------------------------

export interface Mismatch {
  fs: string;
  caseIndex: number;
  step: string;
  op: unknown;
  difference: string;
  expected: unknown;
  actual: unknown;
}

export interface CaseReport {
  /** The first mismatch. */
  mismatch?: Mismatch;
  /** Every mismatch (more than one only with `keepGoing`). */
  all: Mismatch[];
  /** Backend of aiofs's handle, when the open succeeded. */
  backend?: { name: string; reason: string };
  /** Number of steps compared. */
  steps: number;
  target: Target;
}

/** aiofs may allocate this much more disk space than fs for the same file (look-ahead, filled small holes). */
const ALLOCATION_SLACK = 8 * MiB;

/** Bytes of files larger than this are compared in windows (sparse files of more than 4 GiB). */
const WHOLE_COMPARE_LIMIT = 16 * MiB;

async function fileState(file: string, windows: readonly [number, number][]): Promise<unknown> {
  let st: fs.Stats;
  try {
    st = await fsp.lstat(file);
  } catch (error) {
    return { missing: (error as NodeJS.ErrnoException).code };
  }
  if (!st.isFile()) return { type: st.isDirectory() ? 'dir' : 'other' };
  if (st.size <= WHOLE_COMPARE_LIMIT) return { size: st.size, bytes: await fsp.readFile(file) };
  const handle = await fsp.open(file, 'r');
  try {
    const parts: Buffer[] = [];
    for (const [start, length] of windows) {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, start);
      parts.push(buffer.subarray(0, bytesRead));
    }
    return { size: st.size, windows: windows.map(([s, l]) => `${s}+${l}`), bytes: parts };
  } finally {
    await handle.close();
  }
}

/** Byte windows worth comparing for a huge sparse file: the start, the end and around every position used. */
function comparisonWindows(spec: CaseSpec, size: number): [number, number][] {
  const points = new Set<number>([0, size - 256 * 1024]);
  const visit = (op: Op) => {
    if (op.kind === 'concurrent') return op.ops.forEach(visit);
    if ('position' in op && typeof op.position === 'number') points.add(op.position - 16 * 1024);
    if (op.kind === 'truncate' && op.len !== undefined) points.add(op.len - 16 * 1024);
  };
  spec.ops.forEach(visit);
  return [...points]
    .map((p) => Math.max(0, Math.min(p, size)))
    .sort((a, b) => a - b)
    .map((p): [number, number] => [p, Math.min(p === 0 ? 8 * MiB : 288 * 1024, size - p)]);
}

async function prepare(spec: CaseSpec, file: string, impl: Impl, aiofs: Impl): Promise<void> {
  await fsp.rm(file, { recursive: true, force: true });
  switch (spec.target) {
    case 'missing':
      return;
    case 'dir':
      await fsp.mkdir(file);
      return;
    case 'notdir':
      await fsp.writeFile(file, 'x');
      return;
    case 'existing': {
      const content = Buffer.from(patternBytes(spec.seed, spec.size));
      await (spec.initByAiofs && impl === aiofs ? aiofs : nodeImpl).writeFile(file, content);
      return;
    }
  }
}

function openPath(spec: CaseSpec, file: string): string {
  return spec.target === 'notdir' ? path.join(file, 'child') : file;
}

/**
 * Runs one case on both implementations in `dir` and compares every step. Stops at the first
 * mismatch (later steps of a random case would only repeat it), unless `keepGoing`.
 */
export async function runCase(spec: CaseSpec, dir: string, aiofs: Impl, fsName: string, keepGoing = false): Promise<CaseReport> {
  const files = { fs: path.join(dir, `case-${spec.index}.fs`), aiofs: path.join(dir, `case-${spec.index}.ai`) };
  const paths = [files.fs, files.aiofs, openPath(spec, files.fs), openPath(spec, files.aiofs)].sort(
    (a, b) => b.length - a.length,
  );
  const report: CaseReport = { steps: 0, target: spec.target, all: [] };
  const compare = (step: string, op: unknown, expected: Outcome, actual: Outcome): boolean => {
    report.steps++;
    const d = difference(expected, actual);
    if (d === undefined) return true;
    report.all.push({ fs: fsName, caseIndex: spec.index, step, op, difference: d, expected, actual });
    report.mismatch ??= report.all[0];
    return keepGoing;
  };

  const setup = await Promise.all([
    settle(() => prepare(spec, files.fs, nodeImpl, aiofs)),
    settle(() => prepare(spec, files.aiofs, aiofs, aiofs)),
  ]);
  if (!compare('prepare the initial file', { size: spec.size, initByAiofs: spec.initByAiofs }, setup[0], setup[1]))
    return cleanup(report, files);

  const handles: Partial<Record<'fs' | 'aiofs', AnyHandle>> = {};
  const opened = [
    await settle(async () => {
      handles.fs = await nodeImpl.open(openPath(spec, files.fs), spec.flags);
      return 'opened';
    }, paths),
    await settle(async () => {
      handles.aiofs = await aiofs.open(openPath(spec, files.aiofs), spec.flags);
      return 'opened';
    }, paths),
  ] as const;
  if (handles.aiofs?.backend) report.backend = { name: handles.aiofs.backend.name, reason: handles.aiofs.backend.reason };
  let ok = compare(`open(${brief(spec.flags)}) ${spec.target}`, spec.flags, opened[0], opened[1]);
  let closed = false;
  if (ok && handles.fs && handles.aiofs) {
    for (let i = 0; i < spec.ops.length && ok; i++) {
      const op = spec.ops[i]!;
      const expected = await settle(() => runOp(handles.fs!, op), paths);
      const actual = await settle(() => runOp(handles.aiofs!, op), paths);
      ok = compare(`op ${i} (${op.kind})`, op, expected, actual);
      if (op.kind === 'close-then-all') closed = true;
    }
  }
  if (!closed) {
    const closing = [
      handles.fs ? await settle(() => handles.fs!.close(), paths) : undefined,
      handles.aiofs ? await settle(() => handles.aiofs!.close(), paths) : undefined,
    ];
    if (ok)
      ok = compare('close()', null, closing[0] ?? { ok: true, value: 'not open' }, closing[1] ?? { ok: true, value: 'not open' });
  }
  for (let i = 0; i < spec.pathOps.length && ok; i++) {
    const op = spec.pathOps[i]!;
    const expected = await settle(() => runPathOp(nodeImpl, files.fs, op), paths);
    const actual = await settle(() => runPathOp(aiofs, files.aiofs, op), paths);
    ok = compare(`path op ${i} (${op.kind})`, op, expected, actual);
  }
  if (ok) {
    const size = await fsp.stat(files.fs).then(
      (s) => s.size,
      () => 0,
    );
    const windows = comparisonWindows(spec, size);
    ok = compare(
      'final file contents (after close)',
      null,
      { ok: true, value: await fileState(files.fs, windows) },
      { ok: true, value: await fileState(files.aiofs, windows) },
    );
  }
  if (ok) {
    // Same bytes, but not the same footprint: filling holes that fs leaves sparse (e.g. the gap
    // before a write far past end of file) costs real disk space. Small differences are allowed.
    const [sf, sa] = await Promise.all([fsp.stat(files.fs).catch(() => undefined), fsp.stat(files.aiofs).catch(() => undefined)]);
    if (sf?.isFile() && sa?.isFile()) {
      const excess = (sa.blocks - sf.blocks) * 512;
      const verdict = (bytes: number) =>
        bytes > ALLOCATION_SLACK
          ? `${(bytes / MiB).toFixed(1)} MiB more allocated than fs (size ${sf.size})`
          : 'about as much as fs';
      compare(
        'disk space allocated (st_blocks) after close',
        null,
        { ok: true, value: verdict(0) },
        { ok: true, value: verdict(excess) },
      );
    }
  }
  return cleanup(report, files);
}

async function cleanup(report: CaseReport, files: { fs: string; aiofs: string }): Promise<CaseReport> {
  await Promise.all([fsp.rm(files.fs, { recursive: true, force: true }), fsp.rm(files.aiofs, { recursive: true, force: true })]);
  return report;
}

/** Runs `task` over `items` with at most `limit` in flight. */
export async function inParallel<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export interface RunSummary {
  /** Cases not run because aiofs hung too often (see MAX_HUNG_STEPS). */
  skipped: number;
  cases: number;
  steps: number;
  mismatches: Mismatch[];
  backends: Map<string, number>;
  ms: number;
}

/** Runs the random cases for one filesystem. */
export async function runRandomCases(
  seed: number,
  indexes: readonly number[],
  dir: string,
  aiofs: Impl,
  fsName: string,
  parallel = 4,
): Promise<RunSummary> {
  const started = Date.now();
  const reports = (
    await inParallel(indexes, parallel, async (index) =>
      tooManyHung() ? undefined : runCase(generateCase(seed, index), dir, aiofs, fsName),
    )
  ).filter((r): r is CaseReport => r !== undefined);
  const backends = new Map<string, number>();
  for (const r of reports) {
    if (r.backend && r.target !== 'dir') {
      const key = `${r.backend.name} (${r.backend.reason})`;
      backends.set(key, (backends.get(key) ?? 0) + 1);
    }
  }
  return {
    skipped: indexes.length - reports.length,
    cases: reports.length,
    steps: reports.reduce((sum, r) => sum + r.steps, 0),
    mismatches: reports.flatMap((r) => (r.mismatch ? [r.mismatch] : [])),
    backends,
    ms: Date.now() - started,
  };
}

/** Groups mismatches by step kind and the shape of their difference, with one example each. */
export function formatMismatches(mismatches: readonly Mismatch[], seed: number, limit = 12): string {
  const groups = new Map<string, Mismatch[]>();
  for (const m of mismatches) {
    const kind = m.step.replace(/^op \d+ /, 'op ').replace(/^path op \d+ /, 'path op ');
    const what = m.difference.replace(/\d+/g, 'N').slice(0, 90);
    const key = `${kind} | ${what}`;
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  const lines = [
    `${mismatches.length} mismatching case(s) in ${groups.size} group(s); replay with AIOFS_TEST_SEED=${seed} AIOFS_TEST_CASE=<index>`,
  ];
  let shown = 0;
  for (const [key, items] of [...groups].sort((a, b) => b[1].length - a[1].length)) {
    const m = items[0]!;
    lines.push(`\n[${items.length}x] ${key}`);
    lines.push(
      `  cases: ${items
        .slice(0, 12)
        .map((i) => `${i.fs}#${i.caseIndex}`)
        .join(' ')}${items.length > 12 ? ' ...' : ''}`,
    );
    if (shown++ < limit) {
      lines.push(`  e.g. ${m.fs} case ${m.caseIndex}, ${m.step}: ${m.difference}`);
      lines.push(`  op: ${brief(m.op)}`);
      lines.push(`  fs:    ${brief(m.expected)}`);
      lines.push(`  aiofs: ${brief(m.actual)}`);
    }
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Fixed scenarios: open errors, wrong access modes, closed handles
// ---------------------------------------------------------------------------------------------

function scenario(index: number, fields: Partial<CaseSpec>): CaseSpec {
  return {
    index,
    seed: 1000 + index,
    size: 5000,
    initByAiofs: false,
    target: 'existing',
    flags: 'r+',
    ops: [],
    pathOps: [],
    ...fields,
  };
}

const oneByte: BufSpec = { type: 'Buffer', lead: 0, bytes: 16, tail: 0, seed: 7 };

/** Deterministic cases for errors fs/promises reports (open errors, EBADF, EISDIR, EEXIST, ...). */
export function errorScenarios(): { title: string; spec: CaseSpec }[] {
  const read: Op = { kind: 'read', form: 'args', buf: oneByte, offset: 0, length: 16, position: 0 };
  const readCurrent: Op = { kind: 'read', form: 'args', buf: oneByte, offset: 0, length: 16, position: null };
  const write: Op = { kind: 'write', form: 'args', buf: oneByte, offset: 0, length: 16, position: 3 };
  const everything: Op[] = [
    read,
    readCurrent,
    { kind: 'read', form: 'none', position: 'omit' },
    { kind: 'readv', bufs: [oneByte, oneByte], position: 0 },
    write,
    { kind: 'write-string', text: 'héllo', position: null },
    { kind: 'writev', bufs: [oneByte, oneByte], position: 0 },
    { kind: 'truncate', len: 3 },
    { kind: 'sync' },
    { kind: 'datasync' },
    { kind: 'stat' },
    { kind: 'readFile' },
    { kind: 'writeFile', data: { kind: 'string', text: 'abc' } },
    { kind: 'appendFile', data: { kind: 'string', text: 'abc' } },
  ];
  const list: { title: string; spec: CaseSpec }[] = [];
  const add = (title: string, fields: Partial<CaseSpec>) => list.push({ title, spec: scenario(list.length, fields) });
  for (const flags of ['r', 'r+', 'rs+']) add(`open(missing, '${flags}') → ENOENT`, { target: 'missing', flags });
  for (const flags of ['w', 'w+', 'r+', 'a', 'a+', 'wx']) add(`open(dir, '${flags}') → EISDIR/EEXIST`, { target: 'dir', flags });
  add("open(dir, 'r') then every method (read → EISDIR)", { target: 'dir', flags: 'r', ops: everything });
  for (const flags of ['wx', 'wx+', 'ax', 'ax+']) add(`open(existing, '${flags}') → EEXIST`, { flags });
  for (const flags of ['wx', 'ax+'])
    add(`open(missing, '${flags}') creates the file`, { target: 'missing', flags, ops: [write, read, { kind: 'stat' }] });
  for (const flags of ['r', 'w']) add(`open(file/child, '${flags}') → ENOTDIR`, { target: 'notdir', flags });
  for (const flags of ['w', 'a', 'ax']) {
    add(`'${flags}' (write-only) handle: every method (reads → EBADF)`, {
      target: flags === 'ax' ? 'missing' : 'existing',
      flags,
      ops: everything,
    });
  }
  add("'r' handle: every method (writes → EBADF, truncate → EINVAL)", { flags: 'r', ops: everything });
  add("'r+' handle: every method", { flags: 'r+', ops: everything });
  add("'a+' handle: every method (writes append)", { flags: 'a+', ops: everything });
  for (const flags of ['r', 'r+', 'w', 'a']) {
    add(`'${flags}' handle: close() then every method → EBADF 'file closed'`, {
      flags,
      ops: [read, { kind: 'close-then-all', dispose: false }],
    });
    add(`'${flags}' handle: Symbol.asyncDispose then every method`, {
      flags,
      ops: [write, { kind: 'close-then-all', dispose: true }],
    });
  }
  const text = (t: string): WriteData => ({ kind: 'string', text: t });
  add('path readFile/writeFile/appendFile on a missing file', {
    target: 'missing',
    flags: 'wx',
    ops: [{ kind: 'close-then-all', dispose: false }],
    pathOps: [
      { kind: 'path-readFile', options: { flag: 'r' } },
      { kind: 'path-writeFile', data: text('first'), options: { flag: 'wx' } },
      { kind: 'path-writeFile', data: text('again'), options: { flag: 'wx' } },
      { kind: 'path-appendFile', data: text('+tail'), options: 'latin1' },
      { kind: 'path-writeFile', data: text('AB'), options: { flag: 'r+' } },
      { kind: 'path-appendFile', data: text('xyz'), options: { flag: 'ax' } },
      { kind: 'path-readFile', options: 'utf8' },
      { kind: 'path-readFile', options: { encoding: 'buffer' } },
      { kind: 'path-readFile', options: { flag: 'w+' } },
    ],
  });
  add('path writeFile/readFile on a directory → EISDIR', {
    target: 'dir',
    flags: 'r',
    pathOps: [
      { kind: 'path-readFile' },
      { kind: 'path-writeFile', data: text('x') },
      { kind: 'path-appendFile', data: text('x') },
    ],
  });
  add('readv([]) → EINVAL, writev([]) → 0', {
    flags: 'r+',
    ops: [
      { kind: 'readv', bufs: [], position: 0 },
      { kind: 'writev', bufs: [], position: 0 },
      { kind: 'readv', bufs: [], position: null },
    ],
  });
  return list;
}

// ---------------------------------------------------------------------------------------------
// EACCES, as a non-root user in a child process
// ---------------------------------------------------------------------------------------------

const EACCES_CHILD = `
import * as fsp from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
const [distPromises, dir] = process.argv.slice(-2);
process.setgid(65534);
process.setuid(65534);
const loaded = await import(pathToFileURL(distPromises).href);
const aiofs = typeof loaded.open === 'function' ? loaded : loaded.default;
const normalize = (error, file) => ({
  name: error.name, code: error.code, errno: error.errno, syscall: error.syscall,
  path: typeof error.path === 'string' ? error.path.replace(file, '<file>') : error.path,
  message: String(error.message).split(file).join('<file>'), keys: Object.keys(error).sort(),
});
const outcome = async (run, file) => {
  try { const value = await run(); if (value && typeof value.close === 'function') await value.close(); return { ok: true }; }
  catch (error) { return { ok: false, error: normalize(error, file) }; }
};
const results = {};
for (const [label, impl] of [['fs', fsp], ['aiofs', aiofs]]) {
  const file = dir + '/locked.' + label;
  const out = {};
  for (const flags of ['r', 'r+', 'w', 'a', 'a+']) out['open ' + flags] = await outcome(() => impl.open(file, flags), file);
  out.readFile = await outcome(() => impl.readFile(file), file);
  out.writeFile = await outcome(() => impl.writeFile(file, 'x'), file);
  out.appendFile = await outcome(() => impl.appendFile(file, 'x'), file);
  results[label] = out;
}
console.log(JSON.stringify({ uid: process.getuid(), results }));
`;

export interface EaccesResult {
  skipReason?: string;
  fs?: unknown;
  aiofs?: unknown;
}

/** Opens chmod-000 files as uid 65534 through both implementations, in a child process. */
/** Why a permission test cannot run here, or undefined: only root can start a child as uid 65534. */
export function nobodySkipReason(): string | undefined {
  return process.getuid?.() === 0 ? undefined : 'needs root to switch to uid 65534 in a child (root itself bypasses permissions)';
}

/**
 * Runs `script` (a module that switches to uid 65534 and prints `{ uid, results: { fs, aiofs } }` as its
 * last line) with `args`, and returns both sides' outcomes, or why not (the child kept another uid).
 */
export async function outcomesAsNobody(script: string, args: string[]): Promise<EaccesResult> {
  const { execFile } = await import('node:child_process');
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', script, '--', ...args],
      { encoding: 'utf8', timeout: 30_000 },
      (error, out, err) => (error ? reject(new Error(`child failed: ${err || error.message}`)) : resolve(out)),
    );
  });
  const parsed = JSON.parse(stdout.trim().split('\n').pop()!) as { uid: number; results: { fs: unknown; aiofs: unknown } };
  if (parsed.uid !== 65534) return { skipReason: `child still runs as uid ${parsed.uid}` };
  return { fs: parsed.results.fs, aiofs: parsed.results.aiofs };
}

export async function eaccesOutcomes(distPromises: string, dir: string): Promise<EaccesResult> {
  const skipReason = nobodySkipReason();
  if (skipReason !== undefined) return { skipReason };
  for (const label of ['fs', 'aiofs']) {
    await fsp.writeFile(path.join(dir, `locked.${label}`), 'secret');
    await fsp.chmod(path.join(dir, `locked.${label}`), 0o000);
  }
  try {
    return await outcomesAsNobody(EACCES_CHILD, [distPromises, dir]);
  } finally {
    for (const label of ['fs', 'aiofs']) await fsp.rm(path.join(dir, `locked.${label}`), { force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Many concurrent unaligned writes sharing blocks, against sequential writes
// ---------------------------------------------------------------------------------------------

export interface ConcurrencyResult {
  writes: number;
  reads: number;
  /** Differences: fs-concurrent vs sequential, aiofs-concurrent vs sequential, results fs vs aiofs. */
  problems: string[];
}

/**
 * One round: a file of a random size, then `count` writes to disjoint, block-sharing ranges (and reads
 * of the untouched gaps) issued at once through each implementation. Both files must equal the file
 * that the same writes give one after another, and every result must match fs's.
 */
export async function concurrencyRound(
  seed: number,
  round: number,
  dir: string,
  aiofs: Impl,
  count: number,
): Promise<ConcurrencyResult> {
  const r = new Rng(seed, 0xc0c0, round);
  const size = r.pick([0, 1, 4095, 4097, 65536 + 5, 300_001]);
  const base = r.pick([0, 1, 511, 4095, Math.max(0, size - 2000), size + 3]);
  const group = genConcurrentGroup(r, base, count, size, true);
  if (group.kind !== 'concurrent') throw new Error('unreachable');
  const files = {
    seq: path.join(dir, `conc-${round}.seq`),
    fs: path.join(dir, `conc-${round}.fs`),
    aiofs: path.join(dir, `conc-${round}.ai`),
  };
  const content = Buffer.from(patternBytes(seed ^ round, size));
  const problems: string[] = [];
  try {
    for (const file of Object.values(files)) await fsp.writeFile(file, content);
    // Sequential reference: the writes in their (shuffled) order, one at a time.
    const seq = await fsp.open(files.seq, 'r+');
    for (const op of group.ops) if (op.kind !== 'read') await runOp(seq as unknown as AnyHandle, op);
    await seq.close();
    const results: Record<'fs' | 'aiofs', Outcome> = {} as Record<'fs' | 'aiofs', Outcome>;
    for (const impl of [nodeImpl, aiofs]) {
      const handle = await impl.open(files[impl.label], 'r+');
      results[impl.label] = await settle(() => runOp(handle, group));
      const closed = await settle(() => handle.close());
      if (!('ok' in closed) || !closed.ok) problems.push(`round ${round}: ${impl.label} close(): ${brief(closed)}`);
    }
    const expected = await fsp.readFile(files.seq);
    for (const label of ['fs', 'aiofs'] as const) {
      const d = difference(expected, await fsp.readFile(files[label]));
      if (d) problems.push(`round ${round}: ${label} concurrent ≠ sequential: ${d}`);
    }
    const d = difference(results.fs, results.aiofs);
    if (d) problems.push(`round ${round}: results differ: ${d}`);
  } finally {
    for (const file of Object.values(files)) await fsp.rm(file, { force: true });
  }
  return {
    writes: group.ops.filter((o) => o.kind !== 'read').length,
    reads: group.ops.filter((o) => o.kind === 'read').length,
    problems,
  };
}

// ---------------------------------------------------------------------------------------------
// ENOSPC
// ---------------------------------------------------------------------------------------------

/**
 * Fills a small filesystem through one implementation at a time (the other's file is deleted and the
 * filesystem synced in between, so both start from the same free space): writeFile of `total` bytes,
 * then a handle writing 256 KiB chunks at the file position until an error.
 */
export async function enospcOutcome(impl: Impl, dir: string, total: number): Promise<unknown> {
  const file = path.join(dir, `fill.${impl.label}`);
  const paths = [file];
  const data = Buffer.alloc(total, patternBytes(99, MiB));
  const result: Record<string, unknown> = {};
  try {
    result.writeFile = await settle(() => impl.writeFile(file, data), paths);
    // How much of a failed writeFile reaches the disk depends on its chunking (fs: 512 KiB at a time,
    // aiofs: 1 MiB pieces in flight together), so the size may differ; what must hold for both is that
    // the file is a prefix of the data: no zeros from grow-ahead, no hole, no garbage.
    const left = await fsp.readFile(file).catch(() => Buffer.alloc(0));
    result.writeFileLeftAPrefix = left.equals(data.subarray(0, left.length));
    console.log(`[${impl.label}] ENOSPC writeFile left ${left.length} of ${total} bytes`);
    await fsp.rm(file, { force: true });
    const handle = await impl.open(file, 'w');
    const written: number[] = [];
    let last: Outcome | undefined;
    for (let i = 0; i < Math.ceil(total / (256 * 1024)) + 4; i++) {
      last = await settle(() => handle.write(data, (i * 4096) % (data.length - 256 * 1024), 256 * 1024, null), paths);
      if (!('ok' in last) || !last.ok) break;
      written.push((last.value as { bytesWritten: number }).bytesWritten);
    }
    result.chunks = written;
    result.lastWrite = last;
    result.close = await settle(() => handle.close(), paths);
    result.sizeAfterChunks = (await fsp.stat(file)).size;
  } finally {
    await fsp.rm(file, { force: true });
    const { execFileSync } = await import('node:child_process');
    execFileSync('sync', ['-f', dir]);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// The vitest suite shared by promises-differential.test.ts and fallback.test.ts
// ---------------------------------------------------------------------------------------------

export interface SuiteOptions {
  /** Names the run in test titles and log lines, e.g. `kernel-aio` or `node-fs (forced)`. */
  title: string;
  aiofs: AiofsPromises;
  /** aiofs's process-wide `backend`. */
  backend: { readonly name: string; readonly reason: string };
  filesystems: readonly TestFs[];
  /** Small filesystems for the ENOSPC comparison. */
  enospc: readonly TestFs[];
  /** Absolute path of dist/promises.js, for the non-root child process. */
  distPromises: string;
  /** The backend a regular file on `f` must report, and what its reason must match. */
  expectedBackend(f: TestFs): { name: 'kernel-aio' | 'node-fs'; reason?: RegExp };
  /** Random cases per filesystem unless AIOFS_TEST_CASES says otherwise. */
  defaultCases: number;
  /** Rounds of the concurrent-writes test per filesystem. */
  concurrencyRounds: number;
}

export function defineDifferentialSuite(o: SuiteOptions): void {
  const seed = testSeed();
  const indexes = caseIndexes(caseCount(o.defaultCases));
  const impl = aiofsImpl(o.aiofs);
  console.log(
    `[${o.title}] seed ${seed} (replay: AIOFS_TEST_SEED=${seed}), ${indexes.length} random case(s) per filesystem; ` +
      `process backend: ${o.backend.name} (${o.backend.reason})\n${describeFilesystems([...o.filesystems, ...o.enospc])}`,
  );

  for (const f of o.filesystems) {
    const skip = f.skipReason;
    const title = (t: string) => (skip ? `${t} [SKIPPED: ${skip}]` : t);
    if (skip) console.warn(`[${o.title}] SKIPPING every test on ${f.name}: ${skip}`);

    describe(`${o.title} on ${f.name}`, () => {
      it.skipIf(skip !== undefined)(
        title('a regular file reports the expected backend; a directory reports node-fs'),
        async () => {
          const expected = o.expectedBackend(f);
          const file = path.join(f.dir, 'backend-probe');
          const handle = await impl.open(file, 'w+');
          const dirHandle = await impl.open(f.dir, 'r');
          try {
            console.log(`[${o.title}] ${f.name}: aiofs file backend = ${handle.backend?.name} (${handle.backend?.reason})`);
            expect(handle.backend, 'AioFileHandle.backend').toBeDefined();
            expect(handle.backend!.name).toBe(expected.name);
            expect(handle.backend!.reason).toEqual(expect.any(String));
            expect(handle.backend!.reason.length).toBeGreaterThan(0);
            if (expected.reason) expect(handle.backend!.reason).toMatch(expected.reason);
            expect(dirHandle.backend?.name).toBe('node-fs');
            expect(dirHandle.backend?.reason.length).toBeGreaterThan(0);
          } finally {
            await handle.close();
            await dirHandle.close();
            await fsp.rm(file, { force: true });
          }
        },
      );

      it.skipIf(skip !== undefined)(
        title(`${indexes.length} random cases give the same results, errors and bytes as node:fs/promises`),
        async () => {
          const summary = await runRandomCases(seed, indexes, f.dir, impl, f.name);
          const backends = [...summary.backends].map(([k, n]) => `${n}x ${k}`).join('; ');
          console.log(
            `[${o.title}] ${f.name}: ${summary.cases} cases, ${summary.steps} steps compared, ` +
              `${summary.cases - summary.mismatches.length} passed, ${summary.mismatches.length} mismatched, ${summary.ms} ms; aiofs backends: ${backends || 'none'}` +
              (summary.skipped ? `; ${summary.skipped} cases NOT RUN because ${MAX_HUNG_STEPS} steps hung` : ''),
          );
          const report = formatMismatches(summary.mismatches, seed);
          if (summary.mismatches.length > 0) console.log(`[${o.title}] ${f.name} mismatches:\n${report}`);
          const expected = o.expectedBackend(f).name;
          const wrong = [...summary.backends.keys()].filter((k) => !k.startsWith(`${expected} `));
          expect(wrong, `regular files on ${f.name} must use ${expected}`).toEqual([]);
          expect(summary.mismatches.length, report).toBe(0);
          expect(summary.skipped).toBe(0);
          expect(summary.steps).toBeGreaterThan(summary.cases);
        },
        600_000,
      );

      it.skipIf(skip !== undefined)(
        title('read/readv/write/writev resolve with null-prototype objects, as fs/promises does'),
        async () => {
          const expected = await resultPrototypes(nodeImpl, path.join(f.dir, 'proto.fs'));
          const actual = await resultPrototypes(impl, path.join(f.dir, 'proto.ai'));
          expect(expected.read).toBe('null');
          expect(actual).toEqual(expected);
        },
      );

      it.skipIf(skip !== undefined)(
        title('open errors, wrong access modes and closed handles fail exactly like fs'),
        async () => {
          const problems: string[] = [];
          for (const { title: name, spec } of errorScenarios()) {
            if (tooManyHung()) {
              problems.push(`${name}: NOT RUN because ${MAX_HUNG_STEPS} steps hung`);
              continue;
            }
            const report = await runCase(spec, f.dir, impl, f.name, true);
            for (const m of report.all)
              problems.push(
                `${name}: ${m.step}: ${m.difference}\n    fs:    ${brief(m.expected)}\n    aiofs: ${brief(m.actual)}`,
              );
            expect(report.steps).toBeGreaterThan(1);
          }
          if (problems.length) console.log(`[${o.title}] ${f.name} error-scenario mismatches:\n  ${problems.join('\n  ')}`);
          expect(problems).toEqual([]);
        },
        120_000,
      );

      const rootSkip = process.getuid?.() === 0 ? undefined : 'needs root to run a child as uid 65534';
      it.skipIf(skip !== undefined || rootSkip !== undefined)(
        title(`EACCES on a chmod-000 file, as uid 65534${rootSkip ? ` [SKIPPED: ${rootSkip}]` : ''}`),
        async () => {
          const result = await eaccesOutcomes(o.distPromises, f.dir);
          expect(result.skipReason).toBeUndefined();
          expect((result.fs as Record<string, { error?: { code?: string } }>)['open r']?.error?.code).toBe('EACCES');
          expect(result.aiofs).toEqual(result.fs);
        },
        60_000,
      );

      it.skipIf(skip !== undefined)(
        title(
          `${o.concurrencyRounds} rounds of ~150 concurrent unaligned writes to disjoint block-sharing ranges equal sequential writes`,
        ),
        async () => {
          const rounds = await inParallel(
            Array.from({ length: o.concurrencyRounds }, (_, i) => i),
            2,
            async (round) =>
              tooManyHung()
                ? { writes: 0, reads: 0, problems: [`round ${round}: NOT RUN because ${MAX_HUNG_STEPS} steps hung`] }
                : concurrencyRound(seed, round, f.dir, impl, 150),
          );
          const problems = rounds.flatMap((r) => r.problems);
          console.log(
            `[${o.title}] ${f.name}: concurrency: ${rounds.length} rounds, ${rounds.reduce((s, r) => s + r.writes, 0)} writes, ` +
              `${rounds.reduce((s, r) => s + r.reads, 0)} gap reads, ${problems.length} problem(s)`,
          );
          if (problems.length) console.log(problems.join('\n'));
          expect(problems).toEqual([]);
        },
        300_000,
      );
    });
  }

  for (const f of o.enospc) {
    const skip = f.skipReason;
    if (skip) console.warn(`[${o.title}] SKIPPING ENOSPC on ${f.name}: ${skip}`);
    it.skipIf(skip !== undefined)(
      `${o.title}: ENOSPC on ${f.description}${skip ? ` [SKIPPED: ${skip}]` : ''}`,
      async () => {
        const total = f.name === 'tmpfs' ? 2 * MiB : 24 * MiB;
        const expected = await enospcOutcome(nodeImpl, f.dir, total);
        const actual = await enospcOutcome(impl, f.dir, total);
        console.log(`[${o.title}] ENOSPC on ${f.description}: fs ${brief(expected)}\n  aiofs ${brief(actual)}`);
        expect((expected as { writeFile: { error?: { code?: string } } }).writeFile.error?.code).toBe('ENOSPC');
        const d = difference(expected, actual);
        expect(d, d).toBeUndefined();
      },
      120_000,
    );
  }
}
