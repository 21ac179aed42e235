/**
 * Differential fuzzing of aiofs's createReadStream / ReadStream against node:fs's.
 *
 * A case is plain data (printed with util.inspect, replayed from seed + index): which file (sizes
 * around 512/4096/65536/1 MiB boundaries and a few MiB + odd; random bytes or UTF-8 text with
 * multi-byte characters), how the stream is constructed (createReadStream, `new ReadStream`,
 * `ReadStream()` without new, `new createReadStream`, `new AioReadStream`), the path form (string,
 * Buffer, file URL) or an `fd` (number, fs FileHandle, aiofs AioFileHandle), the options (start, end,
 * highWaterMark, encoding, flags, mode, autoClose, emitClose, signal, a custom `fs`), how the stream
 * is consumed or cut short (close(cb), destroy(), abort), and for aiofs only `readAhead` and `cache`.
 * Invalid-option cases put one bad value in an otherwise valid call.
 *
 * Each case runs through node:fs, then through aiofs, one after the other (never concurrently, and
 * never two cases at once, so a descriptor number seen by one run cannot be reused by another while it
 * is being checked). What is compared:
 *  - a synchronous throw (error class, name, code, message with paths normalized, own keys);
 *  - the sequence of events, consecutive 'data' collapsed into one: open, ready, data, end, error, close;
 *  - the 'open' argument's type, `pending` right after construction / in 'open' / at the end, the
 *    `path` property, `typeof fd` at construction and at the end, `bytesRead` at the end;
 *  - the content (concatenated bytes, or the string with an encoding) and the chunk type; a run cut
 *    short on its first chunk only has to deliver a prefix of the expected content;
 *  - every emitted error (class, name, code, errno, syscall, message, path, own keys, cause);
 *  - the close(cb) callback's outcome, the calls made to a custom `fs`, and whether the descriptor
 *    (from 'open', or the one handed in) is still open at the end (fstat, same dev/ino).
 * The fs run's content is also checked against the file's bytes, which catches a broken harness.
 * aiofs alone: a Buffer chunk shorter than 8 KiB must not sit in an ArrayBuffer of 64 KiB or more.
 *
 * Seed: AIOFS_TEST_SEED (number or `random`); cases per filesystem: AIOFS_TEST_CASES; a single case:
 * AIOFS_TEST_CASE=<index>[,<index>...]; AIOFS_STREAM_REPORT=<dir> writes every mismatch there as JSON
 * lines. AIOFS_STREAM_IMPL=node-fs runs the "aiofs" side on node:fs's
 * own createReadStream (a stand-in, to check the harness while aiofs has no stream yet).
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';

import {
  brief,
  caseCount,
  caseIndexes,
  difference,
  normalizeError,
  nobodySkipReason,
  outcomesAsNobody,
  Rng,
  testSeed,
  type EaccesResult,
} from './differential';
import { describeFilesystems, type TestFs } from './filesystems';

/* eslint-disable @typescript-eslint/no-explicit-any */

// ---------------------------------------------------------------------------------------------
// The two implementations
// ---------------------------------------------------------------------------------------------

/** The subset of an aiofs AioFileHandle the harness uses. */
export interface HandleLike {
  readonly fd: number;
  read(buffer: Buffer, offset: number, length: number, position: number | null): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

export interface StreamApi {
  readonly label: string;
  readonly createReadStream: (...args: any[]) => Readable;
  readonly ReadStream: any;
  readonly AioReadStream: any;
  /** aiofs's open() from dist/promises.js (undefined for node:fs and the stand-in). */
  readonly openAio?: (path: string, flags?: string | number) => Promise<HandleLike>;
  /** Whether this is node:fs standing in for aiofs (AIOFS_STREAM_IMPL=node-fs). */
  readonly standIn: boolean;
}

export const nodeStreams: StreamApi = {
  label: 'fs',
  createReadStream: fs.createReadStream as any,
  ReadStream: fs.ReadStream,
  AioReadStream: fs.ReadStream,
  standIn: false,
};

/**
 * The implementation under test: aiofs from dist/, or node:fs when AIOFS_STREAM_IMPL=node-fs.
 * `problem` says why aiofs cannot be tested (no createReadStream in dist/index.js yet).
 */
export function streamsUnderTest(index: unknown, promises: unknown): { api?: StreamApi; problem?: string } {
  const choice = process.env.AIOFS_STREAM_IMPL ?? '';
  if (choice === 'node-fs') {
    return {
      api: {
        label: 'aiofs (node:fs STAND-IN: AIOFS_STREAM_IMPL=node-fs)',
        createReadStream: fs.createReadStream as any,
        ReadStream: fs.ReadStream,
        AioReadStream: fs.ReadStream,
        standIn: true,
      },
    };
  }
  if (choice !== '' && choice !== 'aiofs') return { problem: `AIOFS_STREAM_IMPL must be 'aiofs' or 'node-fs', not ${choice}` };
  const mod = (index ?? {}) as Record<string, any>;
  const missing = ['createReadStream', 'ReadStream', 'AioReadStream'].filter((name) => typeof mod[name] !== 'function');
  if (missing.length > 0) {
    return {
      problem:
        `dist/index.js does not export ${missing.join(', ')} (run \`npx tsc -p .\` once lib/read-stream.ts exists, ` +
        'or set AIOFS_STREAM_IMPL=node-fs to run the harness against node:fs)',
    };
  }
  const prom = (promises ?? {}) as Record<string, any>;
  return {
    api: {
      label: 'aiofs',
      createReadStream: mod.createReadStream,
      ReadStream: mod.ReadStream,
      AioReadStream: mod.AioReadStream,
      openAio: typeof prom.open === 'function' ? (p, flags) => prom.open(p, flags) : undefined,
      standIn: false,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

const KiB = 1024;
const MiB = 1024 * 1024;

/** File sizes prepared on every filesystem (each as random bytes and as UTF-8 text). */
export const SIZES = [
  0,
  1,
  511,
  512,
  513,
  4095,
  4096,
  4097,
  65535,
  65536,
  65537,
  200_003,
  MiB - 1,
  MiB,
  MiB + 1,
  3 * MiB + 4097 + 13,
] as const;
const SMALL_SIZES = SIZES.filter((s) => s < 300_000);
const BIG_SIZES = SIZES.filter((s) => s >= 300_000);

export type ContentKind = 'bin' | 'utf8';

const contents = new Map<string, Buffer>();

/** The bytes of the prepared file of this kind and size (deterministic, the same for every seed). */
export function fileContent(kind: ContentKind, size: number): Buffer {
  const key = `${kind}-${size}`;
  let buf = contents.get(key);
  if (buf !== undefined) return buf;
  const rng = new Rng(0xf11e, size, kind === 'bin' ? 1 : 2);
  if (kind === 'bin') {
    buf = Buffer.allocUnsafe(size);
    let i = 0;
    for (; i + 4 <= size; i += 4) buf.writeUInt32LE(rng.u32(), i);
    for (; i < size; i++) buf[i] = rng.int(0, 255);
  } else {
    // 1-, 2-, 3- and 4-byte characters in random order, so characters straddle every chunk boundary.
    const alphabet = ['a', 'Z', '7', ' ', '\n', 'é', 'ß', 'Ω', 'Ж', '€', '中', '✓', '😀', '𝄞', '🚀'];
    const parts: string[] = [];
    let bytes = 0;
    while (bytes < size) {
      const ch = rng.chance(0.35) ? String.fromCharCode(rng.int(0x20, 0x7e)) : rng.pick(alphabet);
      parts.push(ch);
      bytes += Buffer.byteLength(ch);
    }
    // Cut at `size` bytes: the file may end inside a character, as real files do.
    buf = Buffer.from(parts.join('')).subarray(0, size);
  }
  contents.set(key, buf);
  return buf;
}

export function preparedName(kind: ContentKind, size: number): string {
  return `f-${kind}-${size}`;
}

/** Writes every prepared file (and a directory) into `dir`. */
export async function prepareFiles(dir: string): Promise<void> {
  for (const kind of ['bin', 'utf8'] as const) {
    for (const size of SIZES) await fsp.writeFile(path.join(dir, preparedName(kind, size)), fileContent(kind, size));
  }
  await fsp.mkdir(path.join(dir, 'a-directory'), { recursive: true });
}

// ---------------------------------------------------------------------------------------------
// Case descriptions
// ---------------------------------------------------------------------------------------------

export type Ctor = 'createReadStream' | 'new ReadStream' | 'ReadStream()' | 'new createReadStream' | 'new AioReadStream';
export type Target = 'file' | 'fresh' | 'missing' | 'dir';
export type FdKind = 'number' | 'filehandle' | 'aiohandle';
export type SignalMode =
  'none' | 'unused' | 'pre-aborted' | 'abort-on-open' | 'abort-on-first-data' | 'abort-reason-on-first-data';
export type CustomFs = 'none' | 'pass' | 'open-fails' | 'read-fails' | 'close-fails';
export type Action =
  | 'consume'
  | 'consume-readable'
  | 'close-immediately'
  | 'close-on-open'
  | 'close-on-first-data'
  | 'destroy-on-first-data'
  | 'destroy-error-on-first-data'
  | 'close-after-end';

export interface StreamCase {
  index: number;
  /** 'invalid': one option (or the path, or the options argument) holds `invalid.value`. */
  kind: 'valid' | 'invalid';
  content: ContentKind;
  size: number;
  target: Target;
  ctor: Ctor;
  /** How the path is passed; with an fd: null, undefined, or the path (ignored by fs). */
  pathForm: 'string' | 'buffer' | 'url' | 'null' | 'undefined';
  fd?: { kind: FdKind; openFlags: string; preRead: number };
  optionsForm: 'object' | 'encoding-string' | 'omitted' | 'null';
  options: {
    flags?: string | number;
    mode?: number | string;
    encoding?: string | null;
    start?: number;
    end?: number;
    highWaterMark?: number | null;
    autoClose?: boolean;
    emitClose?: boolean;
  };
  signal: SignalMode;
  customFs: CustomFs;
  action: Action;
  invalid?: { key: string; value: string };
  /** Options only aiofs has (left out on the fs side): readAhead, cache, and chunkSize (bytes per request). */
  aiofs: { readAhead?: number; cache?: 'auto' | 'bypass'; chunkSize?: number };
}

const ENCODINGS = ['utf8', 'utf-8', 'hex', 'base64', 'latin1', 'utf16le', 'ascii', 'base64url', 'binary', 'ucs2'] as const;

/** Bad values per key, as source-like names (materialized by badValue()). */
const BAD_VALUES: Record<string, readonly string[]> = {
  start: ["'1'", '-1', '1.5', 'null', '5n', 'NaN', 'Infinity', '2**53', '{}', 'true', '-0.5'],
  end: ["'1'", '-1', '1.5', 'null', '5n', 'NaN', '-Infinity', '{}', '[]', '2**53'],
  highWaterMark: ['-1', "'5'", '1.5', 'NaN', 'Infinity', '{}', 'true', '-Infinity'],
  encoding: ["'bogus'", '5', '{}', "'buffer'", 'true', "'utf9'", '[]'],
  'encoding-string': ["'bogus'", "'buffer'", "'UTF-9'"],
  fd: ["'3'", '-1', '1.5', '2**31', '{}', 'true', '[]', '2**31-1', 'NaN', '5n', 'AioFileHandle-like'],
  flags: ["'bogus'", '1.5', '{}', 'true', "'rw'", "'w+x'", '[]', 'null'],
  mode: ["'xyz'", '{}', '-1', '1.5', '2**32', "'0o644'", 'true', "'999'"],
  autoClose: ["'yes'", '0', 'null', '1', "''"],
  emitClose: ["'yes'", '0', 'null', "''"],
  signal: ['{}', "'x'", '5', 'null', 'EventTarget', 'true', 'AbortController'],
  fs: [
    '{}',
    '5',
    "'fs'",
    'fs:open-not-fn',
    'fs:no-read',
    'fs:no-close',
    'fs:no-close+autoClose-false',
    'null',
    'fs:with-filehandle',
  ],
  options: ['5', 'true', '5n', 'Symbol()', '[]', '() => {}', "'bogus-encoding'"],
  path: ['5', 'undefined', 'null', '{}', "'a\\0b'", 'http-url', 'file-url-host', 'file-url-%2F', 'buffer-nul', "''", 'true'],
};

function genStartEnd(r: Rng, size: number): { start?: number; end?: number } {
  const boundary = () => r.pick([512, 4096, 65536, MiB]) * r.int(0, 3) + r.pick([-1, 0, 1]);
  const out: { start?: number; end?: number } = {};
  if (r.chance(0.45)) {
    out.start = Math.max(
      0,
      r.weighted<number>([
        [3, 0],
        [2, 1],
        [4, r.int(0, size)],
        [2, size - 1],
        [2, size],
        [2, size + r.int(1, 5000)],
        [3, boundary()],
        [0.2, 2 ** 40],
      ]),
    );
  }
  if (r.chance(0.45)) {
    const s = out.start ?? 0;
    const end = r.weighted<number>([
      [out.start !== undefined && out.start > 0 ? 1.2 : 0, s - r.int(1, Math.min(s, 3000))], // end < start: ERR_OUT_OF_RANGE
      [2, 0],
      [2, s],
      [5, s + r.int(0, 70_000)],
      [2, size - 1],
      [2, size],
      [2, size + r.int(1, 100_000)],
      [3, boundary()],
      [0.5, Infinity],
      [0.3, 2 ** 53 - 1],
    ]);
    out.end = end === Infinity || end >= 0 ? end : 0;
  }
  return out;
}

function genHighWaterMark(r: Rng): number | null | undefined {
  return r.weighted<number | null | undefined>([
    [30, undefined],
    [4, 1],
    [4, 100],
    [6, 4096],
    [6, 65536],
    [4, MiB],
    [6, r.int(2, 300_000)],
    [2, r.pick([511, 513, 4097, 65537, 131072])],
    [1, 0],
    [1, null],
  ]);
}

function effectiveHwm(hwm: number | null | undefined): number {
  if (hwm === undefined) return 64 * KiB;
  if (hwm === null) return 16 * KiB;
  return hwm;
}

/** Bytes a full read of the case would deliver (upper bound, ignoring errors). */
function rangeLength(size: number, start: number | undefined, end: number | undefined, preRead: number): number {
  const from = start ?? preRead;
  const last = start === undefined ? preRead + (end ?? Infinity) : (end ?? Infinity);
  return Math.max(0, Math.min(size - 1, last) - from + 1);
}

/** At most this many chunks per run on the fs side, so hwm 1 never meets a MiB-sized range. */
const MAX_CHUNKS = 300;

type CaseDefaults = 'optionsForm' | 'options' | 'signal' | 'customFs' | 'action' | 'aiofs';

/** A case's fields, with what it leaves out taken as: options as an object, no signal, no custom fs, read to the end. */
function withDefaults(fields: Omit<StreamCase, CaseDefaults> & Partial<Pick<StreamCase, CaseDefaults>>): StreamCase {
  return { optionsForm: 'object', options: {}, signal: 'none', customFs: 'none', action: 'consume', aiofs: {}, ...fields };
}

function genValid(r: Rng, index: number): StreamCase {
  const content: ContentKind = r.chance(0.3) ? 'utf8' : 'bin';
  const size = r.chance(0.12) ? r.pick(BIG_SIZES) : r.pick(SMALL_SIZES);
  const target = r.weighted<Target>([
    [88, 'file'],
    [4, 'fresh'],
    [4, 'missing'],
    [4, 'dir'],
  ]);
  const spec = withDefaults({
    index,
    kind: 'valid',
    content,
    size,
    target,
    ctor: r.weighted<Ctor>([
      [70, 'createReadStream'],
      [8, 'new ReadStream'],
      [8, 'ReadStream()'],
      [6, 'new createReadStream'],
      [8, 'new AioReadStream'],
    ]),
    pathForm: r.weighted([
      [70, 'string'],
      [15, 'buffer'],
      [15, 'url'],
    ] as const),
  });
  const o = spec.options;
  const form = r.weighted([
    [85, 'object'],
    [7, 'encoding-string'],
    [5, 'omitted'],
    [3, 'null'],
  ] as const);
  if (form === 'encoding-string') {
    spec.optionsForm = form;
    o.encoding = r.pick(ENCODINGS);
    if (content === 'bin' && r.chance(0.5)) spec.content = 'utf8';
  } else if (form !== 'object') {
    spec.optionsForm = form;
  } else {
    // Descriptors: only onto something that exists.
    if ((target === 'file' || target === 'dir') && r.chance(0.3)) {
      const kind = r.weighted<FdKind>([
        [4, 'number'],
        [3, 'filehandle'],
        [3, 'aiohandle'],
      ]);
      const openFlags =
        target === 'dir'
          ? 'r'
          : r.weighted([
              [8, 'r'],
              [2, 'r+'],
              [1, 'a+'],
              [1, 'a'],
            ] as const);
      const preRead = target === 'file' && openFlags !== 'a' && r.chance(0.12) ? r.int(1, Math.max(1, Math.min(size, 9000))) : 0;
      spec.fd = { kind, openFlags, preRead };
      spec.pathForm = r.weighted([
        [5, 'null'],
        [2, 'undefined'],
        [3, 'string'],
      ] as const);
    }
    if (spec.fd === undefined) {
      if (target === 'fresh') o.flags = r.pick(['w', 'w+', 'a', 'a+', 'r+'] as const);
      else if (target === 'missing')
        o.flags = r.weighted<string | number | undefined>([
          [6, undefined],
          [2, 'r'],
          [1, 'a+'],
          [1, 'r+'],
          [1, 'w+'],
        ]);
      else if (r.chance(0.35)) {
        o.flags = r.weighted<string | number>([
          [10, 'r'],
          [8, 'r+'],
          [6, 'a+'],
          [3, 'rs'],
          [3, 'rs+'],
          [2, 'as+'],
          [3, fs.constants.O_RDONLY],
          [2, fs.constants.O_RDWR],
          [2, 'a'],
          [1, 'wx'],
          [1, 'ax+'],
          [1, 'sr'],
        ]);
      }
      if (r.chance(0.05)) o.mode = r.pick([0o600, 0o644, '644', '0755']);
    }
    Object.assign(o, genStartEnd(r, size));
    const hwm = genHighWaterMark(r);
    if (hwm !== undefined) o.highWaterMark = hwm;
    if (r.chance(0.4)) {
      o.encoding = r.weighted<string | null>([
        [5, 'utf8'],
        [1, 'utf-8'],
        [3, 'hex'],
        [3, 'base64'],
        [3, 'latin1'],
        [2, 'utf16le'],
        [1, 'ascii'],
        [1, 'base64url'],
        [1, 'binary'],
        [1, 'ucs2'],
        [1, null],
      ]);
      if (o.encoding !== null && o.encoding.startsWith('utf') && r.chance(0.7)) spec.content = 'utf8';
    }
    const autoClose = r.weighted<boolean | undefined>([
      [60, undefined],
      [15, true],
      [25, false],
    ]);
    if (autoClose !== undefined) o.autoClose = autoClose;
    const emitClose = r.weighted<boolean | undefined>([
      [70, undefined],
      [10, true],
      [20, false],
    ]);
    if (emitClose !== undefined) o.emitClose = emitClose;
    spec.signal = r.weighted<SignalMode>([
      [80, 'none'],
      [7, 'unused'],
      [3, 'pre-aborted'],
      [3, 'abort-on-open'],
      [5, 'abort-on-first-data'],
      [2, 'abort-reason-on-first-data'],
    ]);
    spec.customFs = r.weighted<CustomFs>([
      [86, 'none'],
      [6, 'pass'],
      [3, 'read-fails'],
      [3, 'close-fails'],
      [2, spec.fd === undefined ? 'open-fails' : 'pass'],
    ]);
  }
  spec.action = r.weighted<Action>([
    [68, 'consume'],
    [10, 'consume-readable'],
    [3, 'close-immediately'],
    [3, 'close-on-open'],
    [6, 'close-on-first-data'],
    [4, 'destroy-on-first-data'],
    [2, 'destroy-error-on-first-data'],
    [4, 'close-after-end'],
  ]);
  // A pre-aborted stream's 'open' comes (in fs) only if the open completes while anyone watches:
  // acting on it would make the outcome a matter of timing.
  if (spec.signal === 'pre-aborted' && spec.action === 'close-on-open') spec.action = 'consume';
  // highWaterMark 0 with a 'readable' consumer never ends, in fs as well.
  if (spec.action === 'consume-readable' && o.highWaterMark === 0) spec.action = 'consume';
  if (r.chance(0.5)) spec.aiofs.readAhead = r.pick([1, 2, 3, 4, 8, 16, 64]);
  if (r.chance(0.5)) spec.aiofs.cache = r.pick(['auto', 'bypass'] as const);
  if (r.chance(0.25)) spec.aiofs.chunkSize = r.pick([4096, 8192, 12_345, 65536, 100_000, MiB, 3 * MiB + 1]);
  // Keep every run to at most MAX_CHUNKS fs reads: shorten the range, or raise highWaterMark.
  const hwm = effectiveHwm(o.highWaterMark);
  const length = rangeLength(size, o.start, o.end, spec.fd?.preRead ?? 0);
  if (hwm > 0 && length / hwm > MAX_CHUNKS) {
    if (r.chance(0.5) && o.highWaterMark !== undefined) {
      o.highWaterMark = Math.ceil(length / r.int(8, MAX_CHUNKS));
    } else {
      const from = o.start ?? 0;
      o.end = from + hwm * r.int(1, MAX_CHUNKS) - r.int(1, Math.min(hwm, 7));
      if (o.end < from) o.end = from;
    }
  }
  return spec;
}

function genInvalid(r: Rng, index: number): StreamCase {
  const key = r.weighted<string>([
    [4, 'start'],
    [4, 'end'],
    [3, 'highWaterMark'],
    [3, 'encoding'],
    [1, 'encoding-string'],
    [4, 'fd'],
    [3, 'flags'],
    [2, 'mode'],
    [2, 'autoClose'],
    [2, 'emitClose'],
    [2, 'signal'],
    [3, 'fs'],
    [2, 'options'],
    [4, 'path'],
  ]);
  const spec = genValid(r, index);
  spec.kind = 'invalid';
  spec.target = 'file';
  spec.size = r.pick([0, 1, 4097, 65537]);
  spec.signal = 'none';
  spec.customFs = 'none';
  spec.action = 'consume';
  spec.fd = undefined;
  spec.pathForm = 'string';
  spec.optionsForm = key === 'encoding-string' ? 'encoding-string' : 'object';
  spec.options = {};
  if (key === 'start' || key === 'end' || key === 'highWaterMark' || key === 'mode') {
    if (r.chance(0.5)) Object.assign(spec.options, genStartEnd(r, spec.size));
    delete (spec.options as Record<string, unknown>)[key];
    if (spec.options.start !== undefined && spec.options.end !== undefined && spec.options.end < spec.options.start)
      delete spec.options.end;
  }
  spec.invalid = { key, value: r.pick(BAD_VALUES[key]!) };
  return spec;
}

/** The case with this index for this seed (the same on every filesystem). */
export function generateStreamCase(seed: number, index: number): StreamCase {
  const r = new Rng(seed, 0x57ea, index);
  return r.chance(0.18) ? genInvalid(r, index) : genValid(r, index);
}

/** Hand-written cases run before the random ones, so every required feature is covered whatever the seed. */
export function fixedStreamCases(): StreamCase[] {
  const list: StreamCase[] = [];
  const base = (fields: Partial<StreamCase>): StreamCase =>
    withDefaults({
      index: -1 - list.length,
      kind: 'valid',
      content: 'bin',
      size: 4096,
      target: 'file',
      ctor: 'createReadStream',
      pathForm: 'string',
      ...fields,
    });
  const add = (fields: Partial<StreamCase>) => list.push(base(fields));
  for (const size of SIZES) {
    add({ size });
    add({ size, aiofs: { cache: 'bypass', readAhead: 4 } });
    add({ size, options: { start: 1, highWaterMark: 5000 }, aiofs: { cache: 'bypass', readAhead: 3, chunkSize: 4096 } });
    add({ size, options: { start: 1, end: size + 10 } });
    add({ size, options: { end: 0 } });
    add({ size, options: { start: size + 1 } });
    add({ size, options: { start: size } });
    add({ size, options: { start: Math.max(0, size - 513), end: size - 2 >= 0 ? size - 2 : 0, highWaterMark: 100 } });
    add({ size, content: 'utf8', options: { encoding: 'utf8', highWaterMark: size > 100_000 ? 4099 : 7 } });
  }
  for (const encoding of ['utf8', 'hex', 'base64', 'latin1', 'utf16le', 'base64url']) {
    add({ size: 65537, content: 'utf8', options: { encoding, highWaterMark: 1000 + encoding.length } });
    add({ size: 513, content: 'utf8', options: { encoding, highWaterMark: 1 } });
    add({ size: 65537, content: 'utf8', optionsForm: 'encoding-string', options: { encoding } });
  }
  for (const highWaterMark of [1, 100, 4096, 65536, MiB, 12_345]) {
    add({ size: highWaterMark === 1 ? 4097 : MiB + 1, options: { highWaterMark, end: highWaterMark === 1 ? 4096 : undefined } });
  }
  for (const kind of ['number', 'filehandle', 'aiohandle'] as const) {
    for (const autoClose of [true, false, undefined]) {
      add({
        size: 65537,
        fd: { kind, openFlags: 'r', preRead: 0 },
        pathForm: 'null',
        options: autoClose === undefined ? {} : { autoClose },
      });
    }
    add({ size: 65537, fd: { kind, openFlags: 'r', preRead: 1000 }, pathForm: 'null', options: {} });
    add({
      size: 65537,
      fd: { kind, openFlags: 'r', preRead: 1000 },
      pathForm: 'null',
      options: { autoClose: false, end: 20_000 },
    });
    add({
      size: 3 * MiB + 4097 + 13,
      fd: { kind, openFlags: 'r', preRead: 0 },
      pathForm: 'null',
      options: { autoClose: false, end: MiB + 4 },
    });
    add({
      size: 65537,
      fd: { kind, openFlags: 'r', preRead: 10 },
      pathForm: 'null',
      options: { autoClose: false, start: 100, end: 5000 },
    });
    add({ size: 200_003, fd: { kind, openFlags: 'r', preRead: 0 }, pathForm: 'null', options: { autoClose: false } });
    add({ size: 65537, fd: { kind, openFlags: 'r', preRead: 1000 }, pathForm: 'null', options: { start: 10, end: 5000 } });
    add({ size: 4097, fd: { kind, openFlags: 'a', preRead: 0 }, pathForm: 'null', options: {} });
    add({ size: 4097, target: 'dir', fd: { kind, openFlags: 'r', preRead: 0 }, pathForm: 'null', options: {} });
  }
  for (const flags of ['r', 'r+', 'a+', 'rs+', 'as+', 'a', 'wx', fs.constants.O_RDONLY]) add({ size: 4097, options: { flags } });
  for (const flags of ['w', 'w+']) add({ size: 4097, target: 'fresh', options: { flags } });
  add({ target: 'missing' });
  add({ target: 'missing', options: { flags: 'a+' } });
  add({ target: 'dir' });
  add({ target: 'dir', options: { flags: 'r+' } });
  add({ options: { emitClose: false } });
  add({ options: { emitClose: false, autoClose: false } });
  add({ options: { autoClose: false } });
  add({ pathForm: 'buffer' });
  add({ pathForm: 'url' });
  for (const ctor of ['new ReadStream', 'ReadStream()', 'new createReadStream', 'new AioReadStream'] as const) add({ ctor });
  for (const signal of ['unused', 'pre-aborted', 'abort-on-open', 'abort-on-first-data', 'abort-reason-on-first-data'] as const) {
    add({ size: MiB, signal });
  }
  for (const customFs of ['pass', 'open-fails', 'read-fails', 'close-fails'] as const) add({ size: 200_003, customFs });
  add({ size: 200_003, customFs: 'pass', fd: { kind: 'number', openFlags: 'r', preRead: 0 }, pathForm: 'null' });
  for (const action of [
    'consume-readable',
    'close-immediately',
    'close-on-open',
    'close-on-first-data',
    'destroy-on-first-data',
    'destroy-error-on-first-data',
    'close-after-end',
  ] as const) {
    add({ size: MiB + 1, action });
  }
  add({ options: { start: 10, end: 9 } });
  for (const [key, values] of Object.entries(BAD_VALUES)) {
    for (const value of values) {
      add({
        kind: 'invalid',
        size: 4097,
        invalid: { key, value },
        optionsForm: key === 'encoding-string' ? 'encoding-string' : 'object',
      });
    }
  }
  return list;
}

// ---------------------------------------------------------------------------------------------
// Running one side
// ---------------------------------------------------------------------------------------------

export interface SideResult {
  thrown?: unknown;
  events?: string[];
  /** Events seen after the first 'close' (fs emits 'open'/'ready' there when a pre-aborted open completes). */
  afterClose?: string[];
  openArg?: string;
  fdAtStart?: string;
  fdAtEnd?: string;
  pendingAtStart?: unknown;
  pendingAtOpen?: unknown;
  pendingAtEnd?: unknown;
  path?: unknown;
  bytesRead?: unknown;
  contentKind?: string;
  content?: Buffer | string;
  errors?: unknown[];
  closeCallback?: unknown;
  dataAfterStop?: number;
  fsCalls?: string;
  fdState?: string;
  /** The next 16 bytes at the file position of a descriptor handed in and left open. */
  positionProbe?: unknown;
  isReadable?: boolean;
  timeout?: string;
  /** aiofs only, not compared: short Buffer chunks held in a large ArrayBuffer. */
  pinned?: string[];
  /** Whether the run was cut short on its first chunk (content is then a prefix). */
  truncated?: boolean;
}

/** Waits after the last event for late ones (a stream with no 'close' coming). */
const QUIET_MS = 5;
/** How long a 'close' that should come is waited for. */
const CLOSE_WAIT_MS = 2000;
/** A run that has not settled after this long is reported as hung. */
const RUN_TIMEOUT_MS = 10_000;
let hungRuns = 0;
export function tooManyHungRuns(): boolean {
  return hungRuns >= 3;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const immediate = () => new Promise<void>((resolve) => setImmediate(resolve));

interface FileId {
  dev: number;
  ino: number;
}

/**
 * Whether `chunk` lies in node's own Buffer pool (the one Buffer.allocUnsafe, Buffer.concat and so
 * readable.read()'s joining of several chunks carve small buffers from). Node 24's pool is 64 KiB
 * (Node 20's 8 KiB): a small chunk joined there shares it as every small Buffer does, which is node's
 * doing, not a read buffer of aiofs's kept alive. Called right after the chunk was made, so the pool
 * has not been replaced.
 */
function inNodesBufferPool(chunk: Buffer): boolean {
  return Buffer.allocUnsafe(1).buffer === chunk.buffer;
}

/** node's FileHandle[kUnref], found on `handle`'s prototype chain (aiofs's handles are node's subclass). */
function fileHandleUnref(handle: object): (() => void) | undefined {
  for (let proto = Object.getPrototypeOf(handle); proto !== null; proto = Object.getPrototypeOf(proto)) {
    const key = Object.getOwnPropertySymbols(proto).find((symbol) => symbol.description === 'kUnref');
    if (key !== undefined) return proto[key];
  }
  return undefined;
}

function fileId(p: string): FileId | undefined {
  try {
    const st = fs.statSync(p);
    return { dev: st.dev, ino: st.ino };
  } catch {
    return undefined;
  }
}

/** Whether `fd` is open on the file `id` (a reused number that points elsewhere counts as closed). */
export function fdOpenOn(fd: unknown, id: FileId | undefined): boolean {
  if (typeof fd !== 'number' || fd < 0 || id === undefined) return false;
  try {
    const st = fs.fstatSync(fd);
    return st.dev === id.dev && st.ino === id.ino;
  } catch {
    return false;
  }
}

function customError(what: string): Error {
  return Object.assign(new Error(`custom ${what} failure`), { code: 'ECUSTOM' });
}

function makeCustomFs(mode: CustomFs, log: string[]): Record<string, unknown> {
  return {
    open: (p: any, flags: any, m: any, cb: (e: Error | null, fd?: number) => void) => {
      log.push('open');
      if (mode === 'open-fails') return process.nextTick(cb, customError('open'));
      fs.open(p, flags, m, cb);
    },
    read: (fd: number, buf: any, off: number, len: number, pos: any, cb: (...a: any[]) => void) => {
      log.push('read');
      if (mode === 'read-fails') return process.nextTick(cb, customError('read'), 0, buf);
      fs.read(fd, buf, off, len, pos, cb);
    },
    close: (fd: number, cb: (e?: Error | null) => void) => {
      log.push('close');
      fs.close(fd, (e) => cb(mode === 'close-fails' ? customError('close') : e));
    },
  };
}

/** A bad value by name (see BAD_VALUES). */
function badValue(name: string, ctx: { dir: string; file: string }): unknown {
  switch (name) {
    case 'NaN':
      return NaN;
    case 'Infinity':
      return Infinity;
    case '-Infinity':
      return -Infinity;
    case 'null':
      return null;
    case 'undefined':
      return undefined;
    case 'true':
      return true;
    case '{}':
      return {};
    case '[]':
      return [];
    case '() => {}':
      return () => {};
    case 'Symbol()':
      return Symbol('bad');
    case '5n':
      return 5n;
    case '2**53':
      return 2 ** 53;
    case '2**31':
      return 2 ** 31;
    case '2**31-1':
      return 2 ** 31 - 1;
    case '2**32':
      return 2 ** 32;
    case 'EventTarget':
      return new EventTarget();
    case 'AbortController':
      return new AbortController();
    case 'AioFileHandle-like':
      return { fd: 3, close: async () => {}, read: async () => ({ bytesRead: 0 }) };
    case 'fs:open-not-fn':
      return { open: 5, read: fs.read, close: fs.close };
    case 'fs:no-read':
      return { open: fs.open, close: fs.close };
    case 'fs:no-close':
    case 'fs:no-close+autoClose-false':
      return { open: fs.open, read: fs.read };
    case 'fs:with-filehandle':
      return { open: fs.open, read: fs.read, close: fs.close };
    case 'http-url':
      return new URL('http://example.com/x');
    case 'file-url-host':
      return new URL(`file://otherhost${ctx.file}`);
    case 'file-url-%2F':
      return new URL(`file://${ctx.dir}/a%2Fb`);
    case 'buffer-nul':
      return Buffer.from(`${ctx.file}\0x`);
    case "'a\\0b'":
      return `${ctx.file}\0b`;
  }
  if (/^'.*'$/.test(name)) return name.slice(1, -1);
  const n = Number(name);
  if (!Number.isNaN(n)) return n;
  throw new Error(`unknown bad value ${name}`);
}

interface SideContext {
  api: StreamApi;
  side: 'fs' | 'aiofs';
  dir: string;
}

function targetPath(spec: StreamCase, dir: string, side: 'fs' | 'aiofs'): string {
  switch (spec.target) {
    case 'file':
      return path.join(dir, preparedName(spec.content, spec.size));
    case 'dir':
      return path.join(dir, 'a-directory');
    case 'fresh':
      return path.join(dir, `fresh-${spec.index}-${side}`);
    case 'missing':
      return path.join(dir, `missing-${spec.index}-${side}`);
  }
}

/** Replaces this run's paths by placeholders in strings (errors, the path property). */
function normalizer(file: string, dir: string): (text: string) => string {
  return (text) => text.split(file).join('<file>').split(dir).join('<dir>');
}

function describePath(value: unknown, norm: (t: string) => string): unknown {
  if (typeof value === 'string') return norm(value);
  if (Buffer.isBuffer(value)) return { Buffer: norm(value.toString()) };
  if (value instanceof URL) return { URL: norm(value.href) };
  return value === undefined ? '<undefined>' : inspect(value);
}

function describeFd(value: unknown): string {
  return value === null ? 'null' : typeof value;
}

/** Runs the case through one implementation and records what it observably did. */
export async function runSide(spec: StreamCase, ctx: SideContext): Promise<SideResult> {
  const { api, side, dir } = ctx;
  const file = targetPath(spec, dir, side);
  const norm = normalizer(file, dir);
  const normErr = (e: unknown) => {
    const n = normalizeError(e, [file, dir]) as Record<string, unknown>;
    // normalizeError replaces with '<file>' only; keep the directory distinct.
    for (const k of ['message', 'path']) if (typeof n[k] === 'string') n[k] = norm(n[k] as string);
    return n;
  };
  const result: SideResult = {};
  const cleanups: (() => Promise<void> | void)[] = [];
  if (spec.target === 'fresh') {
    await fsp.writeFile(file, fileContent(spec.content, spec.size));
    cleanups.push(() => fsp.rm(file, { force: true }));
  }
  if (spec.target === 'missing') cleanups.push(() => fsp.rm(file, { force: true, recursive: true }));
  const id = fileId(file);

  // The descriptor handed in, if any.
  let fdNumber: number | undefined;
  let fdValue: unknown;
  let handle: HandleLike | fsp.FileHandle | undefined;
  if (spec.fd !== undefined) {
    const useAio = spec.fd.kind === 'aiohandle' && side === 'aiofs' && api.openAio !== undefined;
    if (spec.fd.kind === 'number') {
      fdNumber = fs.openSync(file, spec.fd.openFlags);
      fdValue = fdNumber;
      if (spec.fd.preRead > 0) fs.readSync(fdNumber, Buffer.alloc(spec.fd.preRead), 0, spec.fd.preRead, null);
    } else {
      handle = useAio ? await api.openAio!(file, spec.fd.openFlags) : await fsp.open(file, spec.fd.openFlags);
      fdNumber = handle.fd;
      fdValue = handle;
      if (spec.fd.preRead > 0) await handle.read(Buffer.alloc(spec.fd.preRead), 0, spec.fd.preRead, null);
    }
  }

  // Arguments.
  const callLog: string[] = [];
  let controller: AbortController | undefined;
  const options: Record<string, unknown> = { ...spec.options };
  for (const k of Object.keys(options)) if (options[k] === undefined) delete options[k];
  if (fdValue !== undefined) options.fd = fdValue;
  if (spec.signal !== 'none') {
    controller = new AbortController();
    if (spec.signal === 'pre-aborted') controller.abort();
    options.signal = controller.signal;
  }
  if (spec.customFs !== 'none') options.fs = makeCustomFs(spec.customFs, callLog);
  if (side === 'aiofs' && !api.standIn) Object.assign(options, spec.aiofs);
  let pathArg: unknown =
    spec.pathForm === 'string'
      ? file
      : spec.pathForm === 'buffer'
        ? Buffer.from(file)
        : spec.pathForm === 'url'
          ? pathToFileURL(file)
          : spec.pathForm === 'null'
            ? null
            : undefined;
  let optionsArg: unknown =
    spec.optionsForm === 'object'
      ? options
      : spec.optionsForm === 'encoding-string'
        ? spec.options.encoding
        : spec.optionsForm === 'null'
          ? null
          : undefined;
  if (spec.invalid !== undefined) {
    const bad = badValue(spec.invalid.value, { dir, file });
    const key = spec.invalid.key;
    if (key === 'path') pathArg = bad;
    else if (key === 'options') optionsArg = bad;
    else if (key === 'encoding-string') optionsArg = bad;
    else options[key] = bad;
    if (spec.invalid.value === 'fs:no-close+autoClose-false') options.autoClose = false;
    if (spec.invalid.value === 'fs:with-filehandle') {
      const h = await fsp.open(file, 'r');
      handle = h;
      fdNumber = h.fd;
      options.fd = h;
    }
  }
  const args = spec.optionsForm === 'omitted' && spec.invalid?.key !== 'options' ? [pathArg] : [pathArg, optionsArg];

  // Construction.
  let stream: Readable;
  try {
    switch (spec.ctor) {
      case 'createReadStream':
        stream = api.createReadStream(...args);
        break;
      case 'new ReadStream':
        stream = new api.ReadStream(...args);
        break;
      case 'ReadStream()':
        stream = api.ReadStream(...args);
        break;
      case 'new createReadStream':
        stream = new (api.createReadStream as any)(...args);
        break;
      case 'new AioReadStream':
        stream = new api.AioReadStream(...args);
        break;
    }
  } catch (error) {
    result.thrown = normErr(error);
    await closeLeftovers();
    return result;
  }

  const s = stream as Readable & {
    pending?: unknown;
    bytesRead?: unknown;
    path?: unknown;
    fd?: unknown;
    close(cb?: (e?: Error | null) => void): void;
  };
  result.isReadable = s instanceof Readable;
  result.pendingAtStart = s.pending;
  result.fdAtStart = describeFd(s.fd);
  result.path = describePath(s.path, norm);
  const events: string[] = [];
  const afterClose: string[] = [];
  const errors: unknown[] = [];
  const chunks: (Buffer | string)[] = [];
  const pinned: string[] = [];
  let openFd: unknown;
  let closed = false;
  let terminalAt = 0;
  let lastEventAt = Date.now();
  let stopped = false;
  /** Cut short in the first 'data' handler: the content is then only a prefix (chunking differs). */
  let stoppedOnData = false;
  let dataAfterStop = 0;
  let wake: (() => void) | undefined;
  const nextEventOr = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wake = undefined;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
    });
  const record = (name: string) => {
    lastEventAt = Date.now();
    (closed ? afterClose : events).push(name);
    wake?.();
  };
  const stop = (how: () => void) => {
    if (stopped) return;
    stopped = true;
    if (!terminalAt) terminalAt = Date.now();
    how();
  };
  const closeWithCallback = () =>
    s.close((e?: Error | null) => {
      result.closeCallback = e ? normErr(e) : 'ok';
    });
  s.on('open', (fd: unknown) => {
    record('open');
    result.openArg = typeof fd;
    result.pendingAtOpen = s.pending;
    openFd = fd;
    if (spec.action === 'close-on-open') stop(closeWithCallback);
    if (spec.signal === 'abort-on-open') stop(() => controller!.abort());
  });
  s.on('ready', () => record('ready'));
  s.on('data', (chunk: Buffer | string) => {
    record('data');
    if (stopped) dataAfterStop++;
    chunks.push(chunk);
    if (
      side === 'aiofs' &&
      Buffer.isBuffer(chunk) &&
      chunk.length < 8 * KiB &&
      chunk.buffer.byteLength >= 64 * KiB &&
      !inNodesBufferPool(chunk)
    ) {
      pinned.push(`${chunk.length}-byte chunk in a ${chunk.buffer.byteLength}-byte ArrayBuffer`);
    }
    if (chunks.length === 1) {
      stoppedOnData = spec.action.endsWith('on-first-data') || spec.signal.endsWith('on-first-data');
      if (spec.action === 'close-on-first-data') stop(closeWithCallback);
      if (spec.action === 'destroy-on-first-data') stop(() => s.destroy());
      if (spec.action === 'destroy-error-on-first-data')
        stop(() => s.destroy(Object.assign(new Error('stop here'), { code: 'ESTOPHERE' })));
      if (spec.signal === 'abort-on-first-data') stop(() => controller!.abort());
      if (spec.signal === 'abort-reason-on-first-data') stop(() => controller!.abort(new Error('the reason')));
    }
  });
  s.on('end', () => {
    record('end');
    terminalAt ||= Date.now();
    if (spec.action === 'close-after-end') closeWithCallback();
  });
  s.on('error', (error: unknown) => {
    record('error');
    errors.push(normErr(error));
    terminalAt ||= Date.now();
  });
  s.on('close', () => {
    record('close');
    closed = true;
    terminalAt ||= Date.now();
  });
  if (spec.action === 'consume-readable') {
    s.on('readable', () => {
      while (s.read() !== null) {
        // 'data' listeners see every chunk
      }
    });
  }
  if (spec.action === 'close-immediately') stop(closeWithCallback);

  // Wait for the run to settle: 'close' plus a little, or (no 'close' coming) quiet after end/error.
  const began = Date.now();
  const autoClose = spec.optionsForm !== 'object' || !('autoClose' in options) || Boolean(options.autoClose);
  const emitClose = spec.optionsForm !== 'object' || !('emitClose' in options) || options.emitClose !== false;
  for (;;) {
    await nextEventOr(terminalAt || s.destroyed ? 1 : 20);
    const now = Date.now();
    if (closed) {
      // fs emits events after 'close' when a pre-aborted open completes: wait for that open.
      await immediate();
      await immediate();
      if (spec.signal === 'pre-aborted') await sleep(QUIET_MS);
      break;
    }
    if (terminalAt || s.destroyed) {
      terminalAt ||= now;
      // A destroyed stream emits 'close' unless emitClose is false (the 'closed' flag is then the sign
      // that destroy() has finished; its 'error' follows on the next tick). An ended or failed one
      // with autoClose gets destroyed next. With autoClose false nothing follows: wait for quiet.
      let settled: boolean;
      if (s.destroyed) settled = !emitClose && (s as Readable & { closed?: boolean }).closed === true;
      else settled = !autoClose && now - lastEventAt >= QUIET_MS;
      if (settled) {
        await immediate();
        await immediate();
        await sleep(1);
        break;
      }
      if (now - terminalAt > CLOSE_WAIT_MS) break;
    }
    if (now - began > RUN_TIMEOUT_MS) {
      hungRuns++;
      result.timeout = `not settled after ${RUN_TIMEOUT_MS} ms (events so far: ${events.join(',')})`;
      break;
    }
  }

  result.events = collapse(events);
  if (afterClose.length) result.afterClose = collapse(afterClose);
  result.errors = errors;
  result.pendingAtEnd = s.pending;
  result.fdAtEnd = describeFd(s.fd);
  result.bytesRead = s.bytesRead;
  result.dataAfterStop = dataAfterStop;
  result.truncated = stoppedOnData;
  if (chunks.length === 0) result.contentKind = 'none';
  else if (chunks.every((c) => typeof c === 'string')) result.contentKind = 'string';
  else if (chunks.every((c) => Buffer.isBuffer(c))) result.contentKind = 'Buffer';
  else result.contentKind = 'mixed';
  result.content =
    result.contentKind === 'string' || (result.contentKind === 'none' && encodingOf(spec) !== undefined)
      ? chunks.filter((c): c is string => typeof c === 'string').join('')
      : Buffer.concat(chunks.filter((c): c is Buffer => Buffer.isBuffer(c)));
  if (spec.customFs !== 'none') result.fsCalls = collapse(callLog).join(',');
  if (pinned.length) result.pinned = pinned.slice(0, 3);
  const fdToCheck = typeof openFd === 'number' ? openFd : fdNumber;
  result.fdState = fdToCheck === undefined ? 'none' : fdOpenOn(fdToCheck, id) ? 'open' : 'closed';
  if (result.closeCallback === undefined && spec.action.startsWith('close')) result.closeCallback = 'not called';
  // A descriptor handed in and left open: where its file position is now (fs reads at the file
  // position when no start is given, and leaves it alone otherwise). Probed by reading 16 bytes at
  // position null through the same object the caller handed in.
  if (spec.fd !== undefined && result.fdState === 'open' && !result.truncated && events.includes('end')) {
    const probe = Buffer.alloc(16);
    try {
      const n =
        handle !== undefined && fdValue === handle
          ? (await handle.read(probe, 0, 16, null)).bytesRead
          : fs.readSync(fdNumber!, probe, 0, 16, null);
      result.positionProbe = probe.subarray(0, n).toString('hex');
    } catch (error) {
      result.positionProbe = normErr(error);
    }
  }

  await closeLeftovers(typeof openFd === 'number' ? openFd : undefined);
  return result;

  async function closeLeftovers(extraFd?: number): Promise<void> {
    if (handle !== undefined && handle.fd >= 0) {
      // fs takes a reference on the FileHandle and subscribes the stream to its 'close' before
      // validating the other options, so closing the handle of a stream whose constructor threw makes
      // fs's close() throw (in that listener) and leaves the descriptor open for the stream's reference.
      // Node 26 makes a FileHandle closed by garbage collection an uncaught error, so that reference is
      // dropped here as the stream would have dropped it (FileHandle's kUnref), which closes it.
      try {
        await handle.close();
      } catch {
        if (handle.fd >= 0) fileHandleUnref(handle)?.call(handle);
      }
    }
    // Only raw descriptors: a FileHandle's descriptor is closed through the handle (above); closing it
    // here would make the handle's own close fail with an uncaught EBADF.
    for (const fd of [spec.fd?.kind === 'number' ? fdNumber : undefined, extraFd]) {
      if (fd !== undefined && fdOpenOn(fd, id)) {
        try {
          fs.closeSync(fd);
        } catch {
          // already gone
        }
      }
    }
    for (const c of cleanups) await c();
  }
}

/** Collapses consecutive repeats ('data' x N becomes one 'data'). */
function collapse(events: readonly string[]): string[] {
  return events.filter((e, i) => i === 0 || events[i - 1] !== e);
}

// ---------------------------------------------------------------------------------------------
// Comparing
// ---------------------------------------------------------------------------------------------

export interface StreamMismatch {
  fs: string;
  index: number;
  field: string;
  difference: string;
  fsValue: unknown;
  aiofsValue: unknown;
  spec: StreamCase;
}

/** What the fs run should have delivered, for the harness check (undefined when unknown). */
function expectedContent(spec: StreamCase, dir: string): Buffer | undefined {
  if (spec.kind !== 'valid' || spec.target !== 'file' || spec.customFs !== 'none') return undefined;
  const bytes = fileContent(spec.content, spec.size);
  const o = spec.options;
  const hwm = spec.optionsForm === 'object' ? effectiveHwm(o.highWaterMark) : 64 * KiB;
  if (hwm === 0) return Buffer.alloc(0);
  void dir;
  const start = spec.optionsForm === 'object' ? o.start : undefined;
  const end = spec.optionsForm === 'object' ? o.end : undefined;
  const pre = spec.fd?.preRead ?? 0;
  const from = start ?? pre;
  const last = start === undefined ? pre + (end ?? Infinity) : (end ?? Infinity);
  return bytes.subarray(Math.min(from, bytes.length), Math.min(bytes.length, last + 1));
}

function encodingOf(spec: StreamCase): string | undefined {
  const e = spec.optionsForm === 'encoding-string' || spec.optionsForm === 'object' ? spec.options.encoding : undefined;
  return e ?? undefined;
}

function isPrefix(part: Buffer | string | undefined, whole: Buffer | string): boolean {
  if (part === undefined) return false;
  if (typeof part === 'string') return typeof whole === 'string' && whole.startsWith(part);
  return Buffer.isBuffer(whole) && part.length <= whole.length && whole.subarray(0, part.length).equals(part);
}

/** Every difference between the fs run and the aiofs run of one case. */
export function compareSides(spec: StreamCase, fsName: string, dir: string, a: SideResult, b: SideResult): StreamMismatch[] {
  const out: StreamMismatch[] = [];
  const add = (field: string, fsValue: unknown, aiofsValue: unknown, d?: string) => {
    const diff = d ?? difference(fsValue, aiofsValue);
    if (diff !== undefined) out.push({ fs: fsName, index: spec.index, field, difference: diff, fsValue, aiofsValue, spec });
  };
  if (a.timeout !== undefined) add('harness: fs run hung', undefined, a.timeout, a.timeout);
  add('timeout', a.timeout, b.timeout);
  add('thrown', a.thrown, b.thrown);
  if (a.thrown !== undefined || b.thrown !== undefined) return out;

  const preAborted = spec.signal === 'pre-aborted';
  // fs's quirk with a pre-aborted signal: the open completes after the abort, emitting 'open' and
  // 'ready' after 'error' (and after 'close', or not at all if the harness has stopped watching) and
  // leaking the descriptor. aiofs need not copy that: 'open'/'ready' are left out of the comparison.
  const withoutOpen = (list?: string[]) => list?.filter((e) => e !== 'open' && e !== 'ready');
  if (preAborted) add('events (without open/ready)', withoutOpen(a.events), withoutOpen(b.events));
  else add('events', a.events, b.events);
  if (!preAborted) {
    add('events after close', a.afterClose, b.afterClose);
    add('fd state at the end', a.fdState, b.fdState);
    add('pending at the end', a.pendingAtEnd, b.pendingAtEnd);
    add('typeof fd at the end', a.fdAtEnd, b.fdAtEnd);
  }
  add('instanceof Readable', a.isReadable, b.isReadable);
  add('file position of the fd afterwards (next 16 bytes)', a.positionProbe, b.positionProbe);
  if (!preAborted) add("'open' argument type", a.openArg, b.openArg);
  add('pending after construction', a.pendingAtStart, b.pendingAtStart);
  if (!preAborted) add("pending in 'open'", a.pendingAtOpen, b.pendingAtOpen);
  add('typeof fd after construction', a.fdAtStart, b.fdAtStart);
  add('path property', a.path, b.path);
  add('errors', a.errors, b.errors);
  add('close(cb) callback', a.closeCallback, b.closeCallback);
  // (fs, pre-aborted with an fd: the synchronous destroy nulls the fd, so fs then calls open(undefined))
  if (preAborted) add('custom fs calls (without open)', a.fsCalls?.replace(/,?open/g, ''), b.fsCalls?.replace(/,?open/g, ''));
  else add('custom fs calls', a.fsCalls, b.fsCalls);
  add('data events after close()/destroy()/abort', a.dataAfterStop, b.dataAfterStop);
  add('chunk type', a.truncated && a.contentKind === 'none' ? b.contentKind : a.contentKind, b.contentKind);
  if (b.pinned) add('short chunk pins a large ArrayBuffer', undefined, b.pinned, b.pinned.join('; '));

  const expected = expectedContent(spec, dir);
  const encoding = encodingOf(spec);
  const expectedValue = expected === undefined ? undefined : encoding ? expected.toString(encoding as BufferEncoding) : expected;
  if (!a.truncated && !b.truncated) {
    add('content', a.content, b.content);
    add('bytesRead at the end', a.bytesRead, b.bytesRead);
    if (expectedValue !== undefined && a.errors?.length === 0 && !a.timeout && a.events?.includes('end')) {
      const d = difference(expectedValue, a.content);
      if (d) add('harness: fs content vs file bytes', expectedValue, a.content, d);
    }
  } else {
    // Cut short on the first chunk: each side delivers a prefix of the whole range.
    const whole = expectedValue ?? (a.truncated ? undefined : a.content);
    if (whole !== undefined) {
      if (a.truncated && !isPrefix(a.content, whole))
        add('harness: fs content is not a prefix of the range', brief(whole), brief(a.content), 'not a prefix');
      if (!isPrefix(b.content, whole))
        add('content (prefix of the range)', brief(whole), brief(b.content), 'aiofs content is not a prefix of the range');
    }
    if (typeof b.bytesRead !== 'number') add('bytesRead type', typeof a.bytesRead, typeof b.bytesRead);
  }
  return out;
}

export interface StreamRunSummary {
  cases: number;
  thrown: number;
  emittedError: number;
  truncated: number;
  mismatches: StreamMismatch[];
  ms: number;
  coverage: Map<string, number>;
}

function coverageKeys(spec: StreamCase, a: SideResult): string[] {
  const keys = [
    `kind:${spec.kind}`,
    `target:${spec.target}`,
    `ctor:${spec.ctor}`,
    `action:${spec.action}`,
    `signal:${spec.signal}`,
    `customFs:${spec.customFs}`,
  ];
  keys.push(`size:${spec.size}`, `path:${spec.pathForm}`, `options:${spec.optionsForm}`);
  if (spec.fd)
    keys.push(`fd:${spec.fd.kind}:autoClose=${spec.options.autoClose ?? 'default'}`, ...(spec.fd.preRead ? ['fd:preRead'] : []));
  const o = spec.options;
  if (o.start !== undefined) keys.push(o.start >= spec.size ? 'start:past-eof' : 'start:inside');
  if (o.end !== undefined)
    keys.push(
      o.end === 0
        ? 'end:0'
        : o.end >= spec.size
          ? 'end:past-eof'
          : o.start !== undefined && o.end < o.start
            ? 'end:before-start'
            : 'end:inside',
    );
  if (o.highWaterMark !== undefined)
    keys.push(
      `hwm:${[0, 1, 100, 4096, 65536, MiB].includes(o.highWaterMark as number) ? o.highWaterMark : o.highWaterMark === null ? 'null' : 'odd'}`,
    );
  if (o.encoding !== undefined) keys.push(`encoding:${o.encoding}`);
  if (o.flags !== undefined) keys.push(`flags:${o.flags}`);
  if (o.emitClose === false) keys.push('emitClose:false');
  if (o.autoClose === false) keys.push('autoClose:false');
  if (spec.invalid) keys.push(`invalid:${spec.invalid.key}`);
  if (spec.aiofs.readAhead !== undefined) keys.push('aiofs:readAhead');
  if (spec.aiofs.cache !== undefined) keys.push(`aiofs:cache=${spec.aiofs.cache}`);
  if (spec.aiofs.chunkSize !== undefined) keys.push('aiofs:chunkSize');
  if (a.positionProbe !== undefined) keys.push('fd:position-probed');
  keys.push(
    a.thrown ? 'outcome:thrown' : a.errors?.length ? `outcome:error:${(a.errors[0] as { code?: string }).code}` : 'outcome:ok',
  );
  return keys;
}

/** Runs cases one at a time on `dir` (prepared with prepareFiles). */
export async function runStreamCases(
  specs: readonly StreamCase[],
  dir: string,
  api: StreamApi,
  fsName: string,
): Promise<StreamRunSummary> {
  const began = Date.now();
  const summary: StreamRunSummary = {
    cases: 0,
    thrown: 0,
    emittedError: 0,
    truncated: 0,
    mismatches: [],
    ms: 0,
    coverage: new Map(),
  };
  for (const spec of specs) {
    if (tooManyHungRuns()) {
      summary.mismatches.push({
        fs: fsName,
        index: spec.index,
        field: 'not run',
        difference: `stopped: ${hungRuns} runs hung`,
        fsValue: undefined,
        aiofsValue: undefined,
        spec,
      });
      break;
    }
    let a: SideResult;
    let b: SideResult;
    try {
      a = await runSide(spec, { api: nodeStreams, side: 'fs', dir });
      b = await runSide(spec, { api, side: 'aiofs', dir });
    } catch (error) {
      summary.mismatches.push({
        fs: fsName,
        index: spec.index,
        field: 'harness: run threw',
        difference: inspect(error),
        fsValue: undefined,
        aiofsValue: undefined,
        spec,
      });
      continue;
    }
    summary.cases++;
    if (a.thrown) summary.thrown++;
    else if (a.errors?.length) summary.emittedError++;
    if (a.truncated) summary.truncated++;
    for (const key of coverageKeys(spec, a)) summary.coverage.set(key, (summary.coverage.get(key) ?? 0) + 1);
    summary.mismatches.push(...compareSides(spec, fsName, dir, a, b));
  }
  summary.ms = Date.now() - began;
  return summary;
}

/** A readable report: mismatches grouped by field and difference shape, with one example each. */
export function formatStreamMismatches(mismatches: readonly StreamMismatch[], seed: number, limit = 40): string {
  const groups = new Map<string, StreamMismatch[]>();
  for (const m of mismatches) {
    const shape = `${m.field}: ${m.difference.replace(/\d+/g, 'N').slice(0, 200)}`;
    const list = groups.get(shape) ?? [];
    list.push(m);
    groups.set(shape, list);
  }
  const lines = [
    `${mismatches.length} mismatch(es) in ${groups.size} group(s); replay: AIOFS_TEST_SEED=${seed} AIOFS_TEST_CASE=<index> (negative index = fixed case)`,
  ];
  let shown = 0;
  for (const [shape, list] of groups) {
    if (shown++ >= limit) {
      lines.push(`... ${groups.size - limit} more group(s)`);
      break;
    }
    const m = list[0]!;
    lines.push(
      `- [${list.length}x] ${shape}\n    e.g. ${m.fs} case ${m.index} (cases: ${list
        .slice(0, 8)
        .map((x) => x.index)
        .join(
          ', ',
        )})\n    fs:    ${brief(m.fsValue)}\n    aiofs: ${brief(m.aiofsValue)}\n    spec:  ${inspect(m.spec, { depth: 3, breakLength: Infinity })}`,
    );
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// EACCES, as a non-root user in a child process
// ---------------------------------------------------------------------------------------------

const EACCES_CHILD = `
import * as fs from 'node:fs';
import { pathToFileURL } from 'node:url';
const [distIndex, mode, file] = process.argv.slice(-3);
process.setgid(65534);
process.setuid(65534);
let impl = fs;
if (mode !== 'node-fs') {
  const loaded = await import(pathToFileURL(distIndex).href);
  impl = typeof loaded.createReadStream === 'function' ? loaded : loaded.default;
}
const run = (label, api, make) => new Promise((resolve) => {
  let s;
  try { s = make(api); } catch (e) { resolve({ thrown: { name: e.name, code: e.code, message: String(e.message).split(file).join('<file>') } }); return; }
  const events = []; const errors = []; let openArg;
  for (const n of ['open', 'ready', 'data', 'end', 'close']) s.on(n, (a) => { if (n === 'open') openArg = typeof a; if (events[events.length - 1] !== n) events.push(n); });
  s.on('error', (e) => { events.push('error'); errors.push({ name: e.name, code: e.code, errno: e.errno, syscall: e.syscall,
    path: typeof e.path === 'string' ? e.path.split(file).join('<file>') : e.path,
    message: String(e.message).split(file).join('<file>'), keys: Object.keys(e).sort() }); });
  let finished = false;
  const done = () => { if (finished) return; finished = true; clearTimeout(guard); resolve({ events, errors, openArg, pending: s.pending, bytesRead: s.bytesRead, fd: s.fd === null ? 'null' : typeof s.fd }); };
  const guard = setTimeout(done, 3000);
  s.on('close', () => setTimeout(done, 5));
  s.on('error', () => setTimeout(done, 50));
});
const results = {};
for (const [label, api] of [['fs', fs], ['aiofs', impl]]) {
  const out = {};
  out['path r'] = await run(label, api, (m) => m.createReadStream(file));
  out['path r+'] = await run(label, api, (m) => m.createReadStream(file, { flags: 'r+' }));
  out['path a+ utf8'] = await run(label, api, (m) => m.createReadStream(file, { flags: 'a+', encoding: 'utf8' }));
  out['url, start/end'] = await run(label, api, (m) => m.createReadStream(pathToFileURL(file), { start: 1, end: 3 }));
  out['new ReadStream, emitClose false'] = await run(label, api, (m) => new m.ReadStream(file, { emitClose: false }));
  results[label] = out;
}
console.log(JSON.stringify({ uid: process.getuid(), results }));
`;

/** Streams a chmod-000 file as uid 65534 through both implementations, in a child process. */
export async function streamEaccesOutcomes(distIndex: string, dir: string, standIn: boolean): Promise<EaccesResult> {
  const skipReason = nobodySkipReason();
  if (skipReason !== undefined) return { skipReason };
  const file = path.join(dir, 'locked-stream');
  await fsp.writeFile(file, 'secret contents');
  await fsp.chmod(file, 0o000);
  try {
    return await outcomesAsNobody(EACCES_CHILD, [distIndex, standIn ? 'node-fs' : 'aiofs', file]);
  } finally {
    await fsp.rm(file, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------------------------

export interface StreamSuiteOptions {
  filesystems: readonly TestFs[];
  /** dist/index.js and dist/promises.js as imported by the test file. */
  index: unknown;
  promises: unknown;
  /** Absolute path of dist/index.js (for the EACCES child). */
  distIndex: string;
  defaultCases: number;
}

/** Defines the describe/it blocks of the differential suite (one block per filesystem). */
export function defineReadStreamDifferential(o: StreamSuiteOptions): void {
  const seed = testSeed();
  const { api, problem } = streamsUnderTest(o.index, o.promises);
  const onlyCases = process.env.AIOFS_TEST_CASE;
  const count = caseCount(o.defaultCases);
  const indexes = caseIndexes(count);
  const fixed = fixedStreamCases();
  const selectedFixed = onlyCases ? fixed.filter((c) => indexes.includes(c.index)) : fixed;
  const random = indexes.filter((i) => i >= 0).map((i) => generateStreamCase(seed, i));
  const specs = [...selectedFixed, ...random];
  console.log(
    `[read-stream differential] seed ${seed} (replay: AIOFS_TEST_SEED=${seed}); ${random.length} random + ${selectedFixed.length} fixed case(s) per filesystem; ` +
      `implementation under test: ${api?.label ?? `NONE: ${problem}`}\n${describeFilesystems(o.filesystems)}`,
  );

  it('the implementation under test is aiofs (dist/index.js exports createReadStream, ReadStream, AioReadStream)', () => {
    if (api?.standIn)
      console.warn(
        '[read-stream differential] WARNING: AIOFS_STREAM_IMPL=node-fs: comparing node:fs with itself (harness check only)',
      );
    expect(problem).toBeUndefined();
    expect(api).toBeDefined();
    if (!api!.standIn) {
      expect(api!.ReadStream).toBe(api!.AioReadStream);
      expect(api!.AioReadStream.prototype).toBeInstanceOf(Readable);
    }
  });

  // The filesystems run concurrently (most of a case's time is spent waiting for events, and
  // descriptors are only ever judged by (dev, inode), which differ between filesystems).
  describe.concurrent('read streams: random and fixed cases on each filesystem', () => {
    for (const f of o.filesystems) {
      const skip = f.skipReason;
      if (skip) console.warn(`[read-stream differential] SKIPPING ${f.name}: ${skip}`);
      const title = `${f.name}: ${specs.length} cases match node:fs (seed ${seed})${skip ? ` [SKIPPED: ${skip}]` : ''}`;
      it.skipIf(skip !== undefined || api === undefined)(title, async ({ expect }) => {
        await prepareFiles(f.dir);
        const summary = await runStreamCases(specs, f.dir, api!, f.name);
        const pinned = summary.mismatches.filter((m) => m.field.startsWith('short chunk')).length;
        console.log(
          `[read-stream differential] ${f.name}: ${summary.cases} case(s) in ${summary.ms} ms ` +
            `(${summary.thrown} thrown at construction, ${summary.emittedError} emitted an error, ${summary.truncated} cut short); ` +
            `${summary.mismatches.length} mismatch(es)${pinned ? ` (${pinned} pinning)` : ''}`,
        );
        if (f.name === 'disk') {
          const cov = [...summary.coverage.entries()].sort(([x], [y]) => x.localeCompare(y)).map(([k, v]) => `${k}=${v}`);
          console.log(`[read-stream differential] coverage on ${f.name}: ${cov.join(' ')}`);
        }
        if (summary.mismatches.length)
          console.log(`[read-stream differential] ${f.name} mismatches:\n${formatStreamMismatches(summary.mismatches, seed)}`);
        // AIOFS_STREAM_REPORT=<dir>: every mismatch as JSON lines, one file per filesystem.
        if (process.env.AIOFS_STREAM_REPORT) {
          const lines = summary.mismatches.map((m) =>
            JSON.stringify({ ...m, fsValue: brief(m.fsValue), aiofsValue: brief(m.aiofsValue) }),
          );
          fs.writeFileSync(path.join(process.env.AIOFS_STREAM_REPORT, `read-stream-${f.name}.jsonl`), lines.join('\n'));
        }
        const harness = summary.mismatches.filter((m) => m.field.startsWith('harness'));
        expect(harness.map((m) => `${m.index} ${m.field}: ${m.difference}`)).toEqual([]);
        expect(summary.mismatches.map((m) => `case ${m.index} ${m.field}: ${m.difference}`)).toEqual([]);
        if (!onlyCases) {
          // Every feature the suite promises is really exercised (the fixed cases guarantee it).
          for (const key of [
            'target:missing',
            'target:dir',
            'fd:number:autoClose=false',
            'fd:filehandle:autoClose=true',
            'fd:aiohandle:autoClose=false',
            'start:past-eof',
            'end:past-eof',
            'end:0',
            'end:before-start',
            'hwm:1',
            'encoding:utf8',
            'emitClose:false',
            'path:buffer',
            'path:url',
            'invalid:fs',
            'aiofs:cache=bypass',
            'fd:position-probed',
          ]) {
            expect(summary.coverage.get(key) ?? 0, key).toBeGreaterThan(0);
          }
          expect(summary.cases).toBeGreaterThanOrEqual(Math.min(count, 2000));
        }
      });
    }
  });

  describe('read streams: EACCES (chmod 000, as uid 65534 in a child)', () => {
    const rootSkip =
      process.getuid?.() !== 0 ? `needs root to switch to uid 65534 in a child (uid ${process.getuid?.()})` : undefined;
    if (rootSkip) console.warn(`[read-stream differential] EACCES tests SKIPPED: ${rootSkip}`);
    for (const f of o.filesystems) {
      const skip = f.skipReason ?? rootSkip;
      it.skipIf(skip !== undefined || api === undefined)(
        `${f.name}: same events and error as fs${skip ? ` [SKIPPED: ${skip}]` : ''}`,
        async () => {
          const result = await streamEaccesOutcomes(o.distIndex, f.dir, api!.standIn);
          expect(result.skipReason).toBeUndefined();
          console.log(`[read-stream differential] EACCES on ${f.name}: fs ${brief(result.fs)}`);
          const fsPathR = (result.fs as Record<string, { errors?: { code?: string }[] }>)['path r'];
          expect(fsPathR?.errors?.[0]?.code).toBe('EACCES');
          expect(result.aiofs).toEqual(result.fs);
        },
      );
    }
  });
}
