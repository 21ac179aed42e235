/**
 * Differential cases for aiofs's createWriteStream against fs.createWriteStream.
 *
 * A case is a file's starting state (absent, or a size around alignment boundaries), open flags,
 * `start`, how the stream gets its file (path, fd number, fs FileHandle, AioFileHandle), a default
 * encoding, highWaterMark, flush, emitClose/autoClose, and a plan of writes: Buffers and strings in
 * many encodings, sizes around 512/4096/64 KiB/1 MiB boundaries, empty writes, cork()/uncork() groups
 * (which reach _writev), and end() with or without a last chunk. The producer waits for 'drain'
 * whenever write() returns false, as a well-behaved one does. aiofs gets its own options too
 * (writeBehind, chunkSize).
 *
 * Both sides run the same plan on their own copy of the file; compared afterwards: what the
 * constructor threw, the lifecycle events in order ('open', 'ready', 'finish', 'close', 'error' with
 * the error's code, syscall and message), bytesWritten, and the file's bytes. write()'s return values
 * and 'drain' are left out: write-behind acknowledges writes sooner, which is the point of it.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { Writable } from 'node:stream';

import { normalizeError, patternBytes, Rng } from './differential';

const KiB = 1024;
const MiB = 1024 * 1024;

const EDGES = [0, 1, 7, 511, 512, 513, 4095, 4096, 4097, 8191, 65535, 65536, 65537, MiB - 1, MiB, MiB + 1];
const START_SIZES = [0, 1, 511, 512, 513, 4095, 4096, 4097, 65536 + 7, MiB - 1, MiB, MiB + 1, 2 * MiB + 512 + 3];
const FLAGS = ['w', 'w', 'w', 'wx', 'w+', 'r+', 'r+', 'rs+', 'a', 'a+', 'ax', 'as', 'r'] as const;
const ENCODINGS = ['utf8', 'hex', 'base64', 'latin1', 'utf16le', 'ascii', 'base64url'] as const;
type Encoding = (typeof ENCODINGS)[number];
type WriteAs = 'buffer' | Encoding | 'default-string';

export type FdKind = 'path' | 'number' | 'filehandle' | 'aiohandle';

export type Step =
  | { kind: 'write'; bytes: number; seed: number; as: WriteAs }
  | { kind: 'cork' }
  | { kind: 'uncork' }
  | { kind: 'end'; bytes: number | null; seed: number };

export interface WriteCase {
  index: number;
  /** Size of the file before the stream, or null: no file. */
  initial: number | null;
  flags: string;
  start: number | undefined;
  fdKind: FdKind;
  /** For an fd handed in without `start`: bytes read first, so writing starts at that file position. */
  fdPosition: number;
  encoding: Encoding | undefined;
  highWaterMark: number | undefined;
  flush: boolean;
  emitClose: boolean | undefined;
  autoClose: boolean | undefined;
  steps: Step[];
  aiofs: { writeBehind?: number; chunkSize?: number };
}

const MAX_TOTAL = 4 * MiB;

function genSize(r: Rng): number {
  return r.weighted<number>([
    [6, r.pick(EDGES.filter((s) => s < 70_000))],
    [2, r.pick(EDGES.filter((s) => s >= 70_000))],
    [3, r.int(0, 9000)],
    [1, r.int(0, 300_000)],
  ]);
}

export function generateWriteCase(seed: number, index: number): WriteCase {
  const r = new Rng(seed, index);
  const flags = r.pick(FLAGS);
  const reading = flags.includes('+') || flags.startsWith('r');
  const initial = r.chance(0.2) ? null : r.pick(START_SIZES);
  const fdKind = r.weighted<FdKind>([
    [7, 'path'],
    [1, 'number'],
    [1, 'filehandle'],
    [1, 'aiohandle'],
  ]);
  let start: number | undefined;
  if (r.chance(0.35)) {
    const size = initial ?? 0;
    start = r.pick([
      0,
      1,
      511,
      512,
      4095,
      4096,
      4097,
      size,
      size + 1,
      size + 4096,
      Math.floor(size / 2),
      r.int(0, size + 10_000),
    ]);
  }
  const encoding = r.chance(0.25) ? r.pick(ENCODINGS) : undefined;
  const steps: Step[] = [];
  let total = 0;
  const count = r.weighted<number>([
    [3, r.int(0, 4)],
    [4, r.int(5, 30)],
    [1, r.int(31, 120)],
  ]);
  let corked = 0;
  for (let i = 0; i < count && total < MAX_TOTAL; i++) {
    if (r.chance(0.08)) {
      steps.push({ kind: 'cork' });
      corked++;
    }
    if (corked > 0 && r.chance(0.15)) {
      steps.push({ kind: 'uncork' });
      corked--;
    }
    const bytes = Math.min(genSize(r), MAX_TOTAL - total);
    total += bytes;
    const as = r.weighted<WriteAs>([
      [6, 'buffer'],
      [1, r.pick(ENCODINGS)],
      [1, 'default-string'],
    ]);
    steps.push({ kind: 'write', bytes, seed: r.u32(), as });
  }
  while (corked-- > 0) if (r.chance(0.7)) steps.push({ kind: 'uncork' });
  steps.push({ kind: 'end', bytes: r.chance(0.3) ? r.pick([0, 1, 4096, r.int(0, 70_000)]) : null, seed: r.u32() });
  return {
    index,
    initial,
    flags,
    start,
    fdKind,
    fdPosition: fdKind !== 'path' && start === undefined && reading && initial !== null ? r.int(0, initial) : 0,
    encoding,
    highWaterMark: r.chance(0.3) ? r.pick([0, 1, 1000, 4096, 16 * KiB, 65536, MiB]) : undefined,
    flush: r.chance(0.15),
    emitClose: r.chance(0.1) ? r.chance(0.5) : undefined,
    autoClose: r.chance(0.1) ? r.chance(0.5) : undefined,
    steps,
    aiofs: {
      writeBehind: r.chance(0.5) ? r.int(1, 8) : undefined,
      chunkSize: r.chance(0.5) ? r.pick([4096, 8192, 65536, 3 * 4096, MiB]) : undefined,
    },
  };
}

/** The data of a write: `bytes` deterministic bytes, as a Buffer or as a string that decodes to them. */
function chunkFor(step: { bytes: number; seed: number }, as: WriteAs, defaultEncoding: Encoding | undefined) {
  const bytes = Buffer.from(patternBytes(step.seed, step.bytes));
  if (as === 'buffer') return { data: bytes as Buffer | string, encoding: undefined as Encoding | undefined };
  const encoding = as === 'default-string' ? (defaultEncoding ?? 'utf8') : as;
  // Strings that decode back to exactly these bytes (utf8/ascii: only bytes below 0x80 survive).
  const source = encoding === 'utf8' || encoding === 'ascii' ? Buffer.from(bytes.map((b) => b & 0x7f)) : bytes;
  // An odd number of bytes has no utf16le string: such a write goes as latin1.
  const written = encoding === 'utf16le' && source.length % 2 === 1 ? 'latin1' : encoding;
  return { data: source.toString(written), encoding: as === 'default-string' ? undefined : written };
}

export interface WriteSideResult {
  thrown?: unknown;
  events: string[];
  bytesWritten?: number;
  file: Buffer | 'absent';
  hung?: boolean;
}

export interface WriteApi {
  createWriteStream: (path: unknown, options?: unknown) => Writable & { bytesWritten: number; fd: number | null };
  openHandle?: (file: string, flags: string) => Promise<{ fd: number; close(): Promise<void> }>;
}

const RUN_TIMEOUT_MS = 15_000;

/** Runs one case on one side, in `dir`, with `file` as its file. */
export async function runWriteSide(spec: WriteCase, api: WriteApi, side: 'fs' | 'aiofs', dir: string): Promise<WriteSideResult> {
  const file = path.join(dir, `${side}-${spec.index}.bin`);
  fs.rmSync(file, { force: true });
  if (spec.initial !== null) fs.writeFileSync(file, patternBytes(spec.index * 7 + 1, spec.initial));
  const events: string[] = [];
  const options: Record<string, unknown> = {};
  if (spec.start !== undefined) options.start = spec.start;
  if (spec.encoding !== undefined) options.encoding = spec.encoding;
  if (spec.highWaterMark !== undefined) options.highWaterMark = spec.highWaterMark;
  if (spec.flush) options.flush = true;
  if (spec.emitClose !== undefined) options.emitClose = spec.emitClose;
  if (spec.autoClose !== undefined) options.autoClose = spec.autoClose;
  if (side === 'aiofs') {
    if (spec.aiofs.writeBehind !== undefined) options.writeBehind = spec.aiofs.writeBehind;
    if (spec.aiofs.chunkSize !== undefined) options.chunkSize = spec.aiofs.chunkSize;
  }
  let toClose: (() => Promise<void>) | undefined;
  let pathArg: unknown = file;
  try {
    if (spec.fdKind === 'path') {
      options.flags = spec.flags;
    } else {
      // The descriptor is opened by the test, with the case's flags.
      let fd: number;
      if (spec.fdKind === 'number') {
        fd = fs.openSync(file, spec.flags, 0o644);
        options.fd = fd;
        // The stream closes a descriptor it was handed, unless autoClose is false (or it never started).
        toClose = async () => {
          if (spec.autoClose === false || fdOpen(fd)) fs.closeSync(fd);
        };
      } else {
        const handle =
          spec.fdKind === 'aiohandle' && side === 'aiofs' && api.openHandle
            ? await api.openHandle(file, spec.flags)
            : await fsp.open(file, spec.flags);
        fd = handle.fd;
        options.fd = handle;
        toClose = () => handle.close().catch(() => undefined);
      }
      if (spec.fdPosition > 0) fs.readSync(fd, Buffer.alloc(spec.fdPosition), 0, spec.fdPosition, null);
      pathArg = undefined;
    }
  } catch (error) {
    return { thrown: normalizeError(error, [file]), events, file: readFile(file) };
  }

  let stream: ReturnType<WriteApi['createWriteStream']>;
  try {
    stream = api.createWriteStream(pathArg, options);
  } catch (error) {
    await toClose?.();
    return { thrown: normalizeError(error, [file]), events, file: readFile(file) };
  }
  let failed = false;
  for (const name of ['open', 'ready', 'finish', 'close'] as const) stream.on(name, () => events.push(name));
  stream.on('error', (error: NodeJS.ErrnoException) => {
    failed = true;
    events.push(`error ${JSON.stringify(normalizeError(error, [file]))}`);
  });
  // Done: closed (emitClose or not), or with autoClose false finished or failed (the descriptor stays open).
  const done = () => stream.closed || (spec.autoClose === false && (stream.writableFinished || failed));
  const stopped = () => failed || stream.destroyed;
  const waitDrain = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => go(), RUN_TIMEOUT_MS);
      const go = () => {
        clearTimeout(timer);
        stream.off('drain', go);
        stream.off('close', go);
        stream.off('error', go);
        resolve();
      };
      stream.on('drain', go);
      stream.on('close', go);
      stream.on('error', go);
    });
  for (const step of spec.steps) {
    if (stopped()) break;
    if (step.kind === 'cork') stream.cork();
    else if (step.kind === 'uncork') stream.uncork();
    else if (step.kind === 'write') {
      const { data, encoding } = chunkFor(step, step.as, spec.encoding);
      const ok = encoding === undefined ? stream.write(data) : stream.write(data, encoding);
      // While corked nothing is written, so no drain comes: a producer only waits when uncorked.
      if (!ok && !stopped() && stream.writableCorked === 0) await waitDrain();
    } else if (step.bytes === null) {
      stream.end();
    } else {
      stream.end(chunkFor({ bytes: step.bytes, seed: step.seed }, 'buffer', undefined).data);
    }
  }
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1));
  const hung = !done();
  // Quiet for a moment, so late events (a second 'error', 'close' after 'finish') are seen too.
  await new Promise((resolve) => setTimeout(resolve, 5));
  // With autoClose false the stream leaves its descriptor open: the user closes it; a FileHandle the
  // stream still holds a reference to closes only once the stream lets go (destroy()).
  if (spec.autoClose === false && spec.fdKind === 'path' && typeof stream.fd === 'number') fs.closeSync(stream.fd);
  if (spec.autoClose === false && (spec.fdKind === 'filehandle' || spec.fdKind === 'aiohandle')) {
    stream.destroy();
    while (!stream.closed && Date.now() < deadline + RUN_TIMEOUT_MS) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  if (toClose !== undefined) await Promise.race([toClose(), new Promise((resolve) => setTimeout(resolve, RUN_TIMEOUT_MS))]);
  return { events, bytesWritten: stream.bytesWritten, file: readFile(file), ...(hung ? { hung: true } : {}) };
}

/** Whether `fd` is still open. Only asked right after the stream is done, before anything else opens. */
function fdOpen(fd: number): boolean {
  try {
    fs.fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

function readFile(file: string): Buffer | 'absent' {
  try {
    return fs.readFileSync(file);
  } catch {
    return 'absent';
  }
}

/** A one-line account of how two sides differ, or null when they agree. */
export function compareWriteSides(fsSide: WriteSideResult, aiofsSide: WriteSideResult): string | null {
  if (JSON.stringify(fsSide.thrown) !== JSON.stringify(aiofsSide.thrown)) {
    return `thrown: fs ${JSON.stringify(fsSide.thrown)} / aiofs ${JSON.stringify(aiofsSide.thrown)}`;
  }
  if (fsSide.hung || aiofsSide.hung) return `hung: fs ${Boolean(fsSide.hung)} / aiofs ${Boolean(aiofsSide.hung)}`;
  if (JSON.stringify(fsSide.events) !== JSON.stringify(aiofsSide.events)) {
    return `events: fs ${fsSide.events.join(' | ')} / aiofs ${aiofsSide.events.join(' | ')}`;
  }
  if (fsSide.bytesWritten !== aiofsSide.bytesWritten)
    return `bytesWritten: fs ${fsSide.bytesWritten} / aiofs ${aiofsSide.bytesWritten}`;
  const a = fsSide.file;
  const b = aiofsSide.file;
  if (a === 'absent' || b === 'absent')
    return a === b ? null : `file: fs ${a === 'absent' ? 'absent' : a.length} / aiofs ${b === 'absent' ? 'absent' : b.length}`;
  if (a.length !== b.length) return `file size: fs ${a.length} / aiofs ${b.length}`;
  if (!a.equals(b)) {
    let i = 0;
    while (a[i] === b[i]) i++;
    return `file bytes differ from offset ${i} (size ${a.length})`;
  }
  return null;
}

/** How a case reads in a failure message. */
export function describeWriteCase(spec: WriteCase): string {
  const writes = spec.steps.filter((s) => s.kind === 'write').length;
  const total = spec.steps.reduce((sum, s) => sum + (s.kind === 'write' ? s.bytes : s.kind === 'end' ? (s.bytes ?? 0) : 0), 0);
  return (
    `case ${spec.index}: initial ${spec.initial}, flags ${spec.flags}, start ${spec.start}, ${spec.fdKind}` +
    `${spec.fdPosition ? ` at ${spec.fdPosition}` : ''}, enc ${spec.encoding}, hwm ${spec.highWaterMark}, flush ${spec.flush}, ` +
    `emitClose ${spec.emitClose}, autoClose ${spec.autoClose}, ${writes} writes / ${total} bytes, aiofs ${JSON.stringify(spec.aiofs)}`
  );
}
