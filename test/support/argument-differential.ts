/**
 * The runner of the differential argument suite (the variants are in argument-variants.ts).
 *
 * A side (node:fs, aiofs, aiofs through aiofs/register, or a stand-in for either) runs in child
 * processes of the running Node: a child makes the call of each variant it is given, each on a fresh
 * 64-byte file in a directory of its own, and writes one JSON line per variant (an Outcome) to
 * descriptor 3. A callback function's call (fs.readFile...) is described by what it threw, or by every
 * call of the callbacks it was given: which, whether before the call had returned, with what arguments. Node itself aborts the process
 * on some arguments (a failed CHECK in its binding on Node 20 and 22): the child dies, the variant it
 * was running is recorded as `process-abort`, and a new child resumes with the next variant. An aiofs
 * child that dies, or throws an uncaught exception, is caught the same way and shows as a difference.
 *
 * The parent half (buildChildProgram, runSide, compareSides, formatDifference) runs in the vitest
 * process. The child half (childMain) is this same file, transpiled by TypeScript together with
 * argument-variants.ts into the run's temporary directory, so the children need nothing but Node.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { isArrayBufferView } from 'node:util/types';

import {
  argumentVariants,
  CALLBACK_TARGETS,
  isCallbackTarget,
  type Target,
  type Variant,
  type VariantContext,
} from './argument-variants';

// ---------------------------------------------------------------------------------------------
// Outcomes
// ---------------------------------------------------------------------------------------------

/** What one call did. Everything but `note` is compared. */
export interface Outcome {
  how:
    | 'threw' // a synchronous throw
    | 'rejected'
    | 'resolved'
    | 'returned' // a value that is not a promise, from a function that should return one (callback functions: returned, and no recorded callback was given)
    | 'called back' // a callback function returned and one of its callbacks was called: see `callbacks`
    | 'events' // a stream was made: see `events`
    | 'timeout' // settled neither way within CALL_TIMEOUT_MS (streams: no end within STREAM_TIMEOUT_MS; callback functions: no callback called)
    | 'setup-failed' // opening the variant's handle or building its arguments failed
    | 'process-abort' // the child died while running the variant
    | 'uncaught-exception'
    | 'unhandled-rejection';
  error?: unknown;
  result?: unknown;
  /** Streams: 'open(number)', 'ready', 'data' (consecutive chunks as one), 'end', 'finish', { error }, 'close'. */
  events?: unknown[];
  /** Streams: the data read (hex, or the string with an encoding). */
  data?: unknown;
  /**
   * Write streams: what each write() and end() callback got. Callback functions: every call of the
   * recorded callbacks, in order: which callback, whether it came before the call returned, its arguments.
   */
  callbacks?: unknown[];
  bytesRead?: unknown;
  bytesWritten?: unknown;
  /** The bytes of every view passed in the arguments, after the call. */
  views?: Record<string, unknown>;
  /** The operations a custom stream `fs` was asked for, in order. */
  calls?: string[];
  /** Each descriptor the call could touch (the handle's, a stream's `fd`): file position and flags after, or 'closed'. */
  descriptors?: unknown[];
  /** The variant's directory after the call: each entry's type, size, mode, times and bytes. */
  files?: unknown;
  /** Not compared: how the child died, its stderr. */
  note?: string;
}

/** The errors aiofs may give where node aborts: what node throws for such a value elsewhere. */
export const ABORT_STAND_IN_CODES: readonly string[] = ['ERR_OUT_OF_RANGE', 'ERR_INVALID_ARG_TYPE'];

/** The variant's file: 58 ASCII bytes, then 'é', '€' and 0xff (so encodings matter). */
const CONTENT = Buffer.concat([
  Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz012345'),
  Buffer.from([0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xff]),
]);
const CALL_TIMEOUT_MS = 5_000;
/**
 * Node's own read stream stalls after 'ready' on some options (highWaterMark: 2**31): both sides time out.
 * Under scripts/asan.sh (ASAN_OPTIONS set, the ASan runtime preloaded into every process) node's own
 * allocations are slow: node:fs's read stream with highWaterMark 2**32 allocates 4 GiB for a 64-byte file
 * and closed after 3 s in one CI run (so node:fs differed from itself); there a stream has 15 s.
 */
const STREAM_TIMEOUT_MS = process.env.ASAN_OPTIONS === undefined ? 3_000 : 15_000;
/** A stream that ended but is not being destroyed (autoClose: false) is watched this much longer. */
const STREAM_GRACE_MS = 40;
/** How long a stream aborted before it opened is watched for node's late 'open' (generous: the threadpool may be busy). */
const LATE_OPEN_MS = 500;
/** After a callback's first call (or a throw), how long a second call is waited for. */
const CALLBACK_GRACE_MS = 5;
/** A callback function that returned although given no recorded callback: how long its work may take. */
const NO_CALLBACK_MS = 100;
/** File status flags that say how a descriptor was opened, not how aiofs does its I/O (O_DIRECT, O_LARGEFILE, O_CLOEXEC). */
const IGNORED_FD_FLAGS = 0o40000 | 0o100000 | 0o2000000;

// ---------------------------------------------------------------------------------------------
// The implementations a child can run
// ---------------------------------------------------------------------------------------------

type Fn = (...args: unknown[]) => unknown;

interface Implementation {
  readonly streams: { createReadStream: Fn; createWriteStream: Fn };
  readonly promises: { open: Fn; readFile: Fn; writeFile: Fn; appendFile: Fn };
  /** node:fs's callback functions, or aiofs's. */
  readonly callbacks: { readFile: Fn; writeFile: Fn; appendFile: Fn };
  readonly backend: string;
}

/**
 * `node` (node:fs), `aiofs` (the built dist/ of `root`), `aiofs-register` (aiofs, with the callback
 * functions taken from node:fs after loading dist/register.js), or one of them with `-broken-read`
 * appended (its open() gives handles whose read() ignores the position and reads at the file's current
 * position) or `-broken-callbacks` (its readFile(path, options, callback) calls back before returning,
 * its writeFile calls back twice): the deliberately broken stand-ins that show the suite has teeth.
 */
function loadImplementation(name: string, root: string): Implementation {
  const brokenRead = name.endsWith('-broken-read');
  const brokenCallbacks = name.endsWith('-broken-callbacks');
  const base = brokenRead
    ? name.slice(0, -'-broken-read'.length)
    : brokenCallbacks
      ? name.slice(0, -'-broken-callbacks'.length)
      : name;
  let impl: Implementation;
  if (base === 'node') {
    impl = {
      streams: fs as unknown as Implementation['streams'],
      promises: fs.promises as unknown as Implementation['promises'],
      callbacks: fs as unknown as Implementation['callbacks'],
      backend: 'node:fs',
    };
  } else if (base === 'aiofs' || base === 'aiofs-register') {
    const require = createRequire(path.join(root, 'package.json'));
    type Index = Implementation['streams'] & Implementation['callbacks'] & { backend: { name: string; reason: string } };
    const index = require(path.join(root, 'dist', 'index.js')) as Index;
    const promises = require(path.join(root, 'dist', 'promises.js')) as Implementation['promises'];
    let callbacks: Implementation['callbacks'] = index;
    if (base === 'aiofs-register') {
      require(path.join(root, 'dist', 'register.js'));
      const nodeFs = require('node:fs') as Implementation['callbacks'];
      for (const name of ['readFile', 'writeFile', 'appendFile'] as const) {
        if (nodeFs[name] !== index[name]) throw new Error(`aiofs/register did not put aiofs's ${name} into node:fs`);
      }
      // Read at each call: whatever node:fs holds then (node's appendFile itself calls fs.writeFile).
      callbacks = {
        readFile: (...args) => nodeFs.readFile(...args),
        writeFile: (...args) => nodeFs.writeFile(...args),
        appendFile: (...args) => nodeFs.appendFile(...args),
      };
    }
    impl = {
      streams: index,
      promises,
      callbacks,
      backend: `${index.backend.name} (${index.backend.reason})${base === 'aiofs-register' ? ', through aiofs/register' : ''}`,
    };
  } else {
    throw new Error(`unknown implementation ${name}`);
  }
  return brokenRead ? withBrokenRead(impl) : brokenCallbacks ? withBrokenCallbacks(impl) : impl;
}

function withBrokenCallbacks(impl: Implementation): Implementation {
  const readFile: Fn = (...args) => {
    const [file, options, done] = args;
    if (args.length !== 3 || typeof done !== 'function') return impl.callbacks.readFile(...args);
    let data: unknown;
    try {
      data = fs.readFileSync(file as string, options as undefined);
    } catch (error) {
      return (done as Fn)(error);
    }
    return (done as Fn)(null, data);
  };
  const writeFile: Fn = (...args) => {
    const done = args[args.length - 1];
    if (typeof done === 'function') {
      args[args.length - 1] = (...results: unknown[]) => {
        (done as Fn)(...results);
        (done as Fn)(...results);
      };
    }
    return impl.callbacks.writeFile(...args);
  };
  return {
    ...impl,
    callbacks: { ...impl.callbacks, readFile, writeFile },
    backend: `${impl.backend}, readFile calling back at once, writeFile twice`,
  };
}

function withBrokenRead(impl: Implementation): Implementation {
  const open: Fn = async (...args) => {
    const handle = (await impl.promises.open(...args)) as object;
    return new Proxy(handle, {
      get(target, key) {
        const v = Reflect.get(target, key) as unknown;
        if (key === 'read') {
          return (buffer: unknown, offset: unknown, length: unknown) =>
            (target as { read: Fn }).read(buffer, offset, length, null);
        }
        return typeof v === 'function' ? (v as Fn).bind(target) : v;
      },
    });
  };
  return { ...impl, promises: { ...impl.promises, open }, backend: `${impl.backend}, read() ignoring its position` };
}

// ---------------------------------------------------------------------------------------------
// Child: making one call and describing what it did
// ---------------------------------------------------------------------------------------------

interface Watched {
  readonly fd: () => unknown;
}

/**
 * Every handle a child has seen, kept reachable until it exits: a handle whose close() waits forever
 * (a stream with `autoClose: false` still holds it) would otherwise be closed by node on garbage
 * collection, at a random time, when its descriptor number may belong to a later variant.
 */
const keptAlive: unknown[] = [];

/** The descriptors and handles a variant opened, to describe and then close. */
class Resources {
  readonly watched: Watched[] = [];
  readonly handles: { close(): Promise<unknown>; fd: unknown }[] = [];
  readonly fds: number[] = [];
  /** The inode of the variant's file: a descriptor of anything else is not the variant's. */
  readonly ino: number;

  constructor(ino: number) {
    this.ino = ino;
  }

  handle<T>(handle: T): T {
    const h = handle as unknown as { close(): Promise<unknown>; fd: unknown };
    this.handles.push(h);
    keptAlive.push(h);
    this.watched.push({ fd: () => h.fd });
    return handle;
  }

  fd(fd: number): number {
    this.fds.push(fd);
    this.watched.push({ fd: () => fd });
    return fd;
  }

  /** Whether `fd` is still a descriptor of the variant's file. */
  isOurs(fd: unknown): fd is number {
    if (typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0) return false;
    try {
      return fs.fstatSync(fd).ino === this.ino;
    } catch {
      return false;
    }
  }

  describe(): unknown[] {
    return this.watched.map((w) => {
      const fd = w.fd();
      if (!this.isOurs(fd)) return 'closed';
      let info: string;
      try {
        info = fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
      } catch {
        return 'closed';
      }
      const field = (name: string) => new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(info)?.[1];
      const flags = parseInt(field('flags') ?? '0', 8) & ~IGNORED_FD_FLAGS;
      return { position: Number(field('pos')), flags: `0o${flags.toString(8)}` };
    });
  }

  async close(): Promise<void> {
    for (const h of this.handles) {
      if (typeof h.fd === 'number' && h.fd >= 0)
        await withTimeout(
          Promise.resolve().then(() => h.close()),
          1_000,
        ).catch(() => undefined);
    }
    for (const fd of this.fds) if (this.isOurs(fd)) fs.closeSync(fd);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
const TIMED_OUT = Symbol('timed out');

/** An error as data: class, name, code, errno, syscall, path, message (the cwd replaced), own keys. */
function normalizeError(error: unknown): unknown {
  if (!(error instanceof Error)) return { thrown: inspect(error) };
  const e = error as NodeJS.ErrnoException & { cause?: unknown };
  const cwd = process.cwd();
  const clean = (text: string) => text.split(cwd).join('<cwd>');
  return {
    class: e.constructor?.name,
    name: e.name,
    code: e.code,
    errno: e.errno,
    syscall: e.syscall,
    path: typeof e.path === 'string' ? clean(e.path) : e.path,
    message: clean(e.message),
    keys: Object.keys(e).sort(),
    cause: e.cause === undefined ? undefined : e.cause instanceof Error ? clean(e.cause.message) : inspect(e.cause),
  };
}

function hexOrHash(bytes: Uint8Array): string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return b.length <= 256 ? b.toString('hex') : `${b.length} bytes, sha1 ${createHash('sha1').update(b).digest('hex')}`;
}

function viewBytes(view: NodeJS.ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** The views in an argument list: top level, in arrays and in options objects, by where they are. */
function viewsIn(args: readonly unknown[]): [string, NodeJS.ArrayBufferView][] {
  const out: [string, NodeJS.ArrayBufferView][] = [];
  args.forEach((arg, i) => {
    if (isArrayBufferView(arg)) out.push([`${i}`, arg]);
    else if (Array.isArray(arg)) arg.forEach((item, j) => isArrayBufferView(item) && out.push([`${i}[${j}]`, item]));
    else if (arg !== null && typeof arg === 'object') {
      for (const [key, item] of Object.entries(arg)) if (isArrayBufferView(item)) out.push([`${i}.${key}`, item]);
    }
  });
  return out;
}

function isHandle(value: unknown): value is { fd: unknown; close(): Promise<unknown> } {
  return (
    value !== null && typeof value === 'object' && typeof (value as { close?: unknown }).close === 'function' && 'fd' in value
  );
}

/** A result as data: numbers exact (-0, NaN), views by bytes and by which argument they are, Stats by their stable fields. */
function shape(value: unknown, views: readonly [string, NodeJS.ArrayBufferView][], resources: Resources, depth = 0): unknown {
  if (value === undefined) return { undefined: true };
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number')
    return Number.isFinite(value) && !Object.is(value, -0) ? value : { number: Object.is(value, -0) ? '-0' : String(value) };
  if (typeof value === 'bigint') return { bigint: String(value) };
  if (typeof value === 'string')
    return value.length <= 512
      ? value
      : { string: `${value.length} chars, sha1 ${createHash('sha1').update(value).digest('hex')}` };
  if (typeof value !== 'object') return { [typeof value]: String(value) };
  if (isArrayBufferView(value)) {
    return {
      view: value.constructor.name,
      byteLength: value.byteLength,
      bytes: hexOrHash(viewBytes(value)),
      argument: views.find(([, v]) => v === value)?.[0] ?? 'new',
    };
  }
  if (typeof (value as { isFile?: unknown }).isFile === 'function' && 'size' in value) {
    const st = value as fs.Stats;
    return {
      stats: value.constructor.name,
      size: String(st.size),
      sizeType: typeof st.size,
      mode: String(st.mode),
      nlink: String(st.nlink),
      isFile: st.isFile(),
      sameFile: String(st.ino) === String(resources.ino),
    };
  }
  if (isHandle(value)) {
    resources.handle(value);
    return { handle: value.constructor.name === 'FileHandle' ? 'FileHandle' : 'a FileHandle-like object', fd: typeof value.fd };
  }
  if (depth > 3) return { deep: inspect(value, { depth: 0 }) };
  if (Array.isArray(value)) return value.map((item) => shape(item, views, resources, depth + 1));
  const prototype = Object.getPrototypeOf(value) as object | null;
  const out: Record<string, unknown> = {
    '[prototype]': prototype === null ? null : prototype === Object.prototype ? 'Object' : prototype.constructor?.name,
  };
  for (const key of Object.keys(value)) out[key] = shape((value as Record<string, unknown>)[key], views, resources, depth + 1);
  return out;
}

/** When a time is: 'now' (within the hour), or its value. */
function when(ms: number): unknown {
  return Math.abs(Date.now() - ms) < 3_600_000 ? 'now' : ms;
}

/** The variant's directory: each entry's type, size, mode, times and bytes (head and tail of big files). */
function snapshot(dir: string): unknown {
  const out: Record<string, unknown> = {};
  for (const name of fs.readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    const st = fs.lstatSync(full);
    const entry: Record<string, unknown> = {
      type: st.isFile() ? 'file' : st.isDirectory() ? 'directory' : 'other',
      size: st.size,
      mode: `0o${(st.mode & 0o7777).toString(8)}`,
      atime: when(st.atimeMs),
      mtime: when(st.mtimeMs),
    };
    if (st.isFile()) {
      const fd = fs.openSync(full, 'r');
      try {
        const read = (at: number, n: number) => {
          const b = Buffer.alloc(Math.max(0, Math.min(n, st.size - at)));
          fs.readSync(fd, b, 0, b.length, at);
          return b;
        };
        entry.bytes =
          st.size <= 4096
            ? hexOrHash(read(0, st.size))
            : { head: read(0, 64).toString('hex'), tail: read(st.size - 64, 64).toString('hex') };
      } finally {
        fs.closeSync(fd);
      }
    } else if (st.isDirectory()) {
      entry.entries = fs.readdirSync(full).sort();
    }
    out[name] = entry;
  }
  return out;
}

/** node:fs's stream operations, each call recorded. */
function recordingFs(calls: string[]): Record<string, unknown> {
  const ops: Record<string, unknown> = {};
  for (const name of ['open', 'read', 'write', 'writev', 'fsync', 'close'] as const) {
    const real = fs[name] as unknown as Fn;
    ops[name] = (...args: unknown[]) => {
      calls.push(name);
      return real(...args);
    };
  }
  return ops;
}

type Stream = NodeJS.EventEmitter & {
  closed?: boolean;
  destroyed?: boolean;
  fd?: unknown;
  bytesRead?: unknown;
  bytesWritten?: unknown;
  pending?: unknown;
  write?: (chunk: unknown, cb: (error?: unknown) => void) => unknown;
  end?: (cb?: (error?: unknown) => void) => unknown;
  destroy(): void;
};

/** Runs a stream to its end: its events, the data read, the write callbacks, bytesRead/bytesWritten. */
async function streamOutcome(stream: Stream, kind: 'read' | 'write', resources: Resources): Promise<Outcome> {
  const events: unknown[] = [];
  /** Events after 'close': node itself may emit 'open' there at threadpool timing (an abort before the open finished). */
  const late: unknown[] = [];
  const chunks: unknown[] = [];
  const callbacks: unknown[] = [];
  let closed = false;
  let terminal = false;
  const push = (event: unknown) => (closed ? late : events).push(event);
  stream.on('open', (fd: unknown) => push(`open(${typeof fd})`));
  stream.on('ready', () => push('ready'));
  stream.on('data', (chunk: unknown) => {
    if (events[events.length - 1] !== 'data') push('data');
    chunks.push(chunk);
  });
  for (const name of ['end', 'finish'] as const) {
    stream.on(name, () => {
      push(name);
      terminal = true;
    });
  }
  stream.on('error', (error: unknown) => {
    push({ error: normalizeError(error) });
    terminal = true;
  });
  stream.on('close', () => {
    push('close');
    closed = true;
  });
  const pendingAtStart = shape(stream.pending, [], resources);
  if (kind === 'write') {
    const record = (i: number) => (error?: unknown) => {
      callbacks[i] = error == null ? 'ok' : normalizeError(error);
    };
    try {
      stream.write!('abc€', record(0));
      stream.write!(Buffer.from('XYZ'), record(1));
      stream.end!(record(2));
    } catch (error) {
      callbacks.push({ threw: normalizeError(error) });
    }
  }
  const started = Date.now();
  let terminalAt: number | undefined;
  let timedOut = false;
  for (;;) {
    if (closed) break;
    if (terminal && terminalAt === undefined) terminalAt = Date.now();
    if (stream.closed === true) {
      // 'close' (when emitted) follows on the next ticks.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      break;
    }
    if (terminalAt !== undefined && stream.destroyed !== true && Date.now() - terminalAt > STREAM_GRACE_MS) break;
    if (Date.now() - started > STREAM_TIMEOUT_MS) {
      timedOut = true;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  // node destroys a stream whose signal is already aborted before its constructor starts the open,
  // which still happens (truncating the file for 'w', leaking the descriptor): wait for it, so the
  // file is described after it, not at threadpool timing.
  const aborted = events.some((e) => isRecord(e) && isRecord(e.error) && e.error.code === 'ABORT_ERR');
  const opened = (list: unknown[]) => list.some((e) => typeof e === 'string' && e.startsWith('open('));
  for (const until = Date.now() + LATE_OPEN_MS; aborted && closed && !opened(events) && !opened(late) && Date.now() < until;) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await new Promise((resolve) => setImmediate(resolve));
  const strings = chunks.every((c) => typeof c === 'string');
  const outcome: Outcome = {
    how: timedOut ? 'timeout' : 'events',
    events,
    data:
      chunks.length === 0
        ? null
        : strings
          ? { string: chunks.join('') }
          : { hex: hexOrHash(Buffer.concat(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : (c as Buffer))))) },
    result: {
      pendingAtStart,
      chunkTypes: [...new Set(chunks.map((c) => (typeof c === 'string' ? 'string' : (c as object).constructor.name)))],
    },
    bytesRead: shape(stream.bytesRead, [], resources),
    bytesWritten: shape(stream.bytesWritten, [], resources),
  };
  if (kind === 'write') outcome.callbacks = callbacks;
  if (late.length > 0) outcome.note = `after 'close': ${inspect(late)}`;
  // A stream that keeps its descriptor (autoClose: false) is described, then the runner closes the
  // descriptor. Not stream.destroy(): node's _destroy closes it even then, asynchronously.
  const fd = stream.fd;
  if (!closed && resources.isOurs(fd)) resources.fd(fd);
  return outcome;
}

function callTarget(target: Target, impl: Implementation, handle: unknown, args: unknown[]): unknown {
  switch (target) {
    case 'open':
    case 'readFile':
    case 'writeFile':
    case 'appendFile':
      return impl.promises[target](...args);
    case 'createReadStream':
    case 'createWriteStream':
      return impl.streams[target](...args);
    case 'fs.readFile (callback)':
    case 'fs.writeFile (callback)':
    case 'fs.appendFile (callback)':
      return impl.callbacks[CALLBACK_TARGETS[target]](...args);
    default: {
      const method = target.slice('FileHandle.'.length);
      return (handle as Record<string, Fn>)[method]!(...args);
    }
  }
}

/** Calls `run` and says whether it threw, rejected, resolved (and with what) or returned a non-promise. */
async function settle(
  run: () => unknown,
  views: readonly [string, NodeJS.ArrayBufferView][],
  resources: Resources,
): Promise<{ outcome: Outcome; returned: unknown }> {
  let returned: unknown;
  try {
    returned = run();
  } catch (error) {
    return { outcome: { how: 'threw', error: normalizeError(error) }, returned };
  }
  if (returned === null || typeof (returned as { then?: unknown })?.then !== 'function') {
    return { outcome: { how: 'returned', result: shape(returned, views, resources) }, returned };
  }
  try {
    const value = await withTimeout(returned as Promise<unknown>, CALL_TIMEOUT_MS);
    if (value === TIMED_OUT) return { outcome: { how: 'timeout' }, returned };
    return { outcome: { how: 'resolved', result: shape(value, views, resources) }, returned };
  } catch (error) {
    return { outcome: { how: 'rejected', error: normalizeError(error) }, returned };
  }
}

/** The callbacks a variant made (VariantContext.callback) and each call of them. */
class CallbackRecorder {
  /** Whether the call under test has returned (or thrown): a callback called before is `sync`. */
  returned = false;
  made = 0;
  readonly calls: { callback: number; sync: boolean; args: unknown[] }[] = [];

  make(throws = false): (...args: unknown[]) => void {
    const id = this.made++;
    const calls = this.calls;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- read by a plain function, which has its own `this`
    const recorder = this;
    return function callback(...args: unknown[]) {
      calls.push({ callback: id, sync: !recorder.returned, args });
      if (throws) throw new Error(`thrown by callback #${id}`);
    };
  }

  /** The calls as data: errors normalized, results shaped; `args` shows how many arguments there were. */
  describe(views: readonly [string, NodeJS.ArrayBufferView][], resources: Resources): unknown[] {
    return this.calls.map((c) => ({
      callback: c.callback,
      sync: c.sync,
      args: c.args.map((arg) => (arg instanceof Error ? { error: normalizeError(arg) } : shape(arg, views, resources))),
    }));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Calls a callback function: 'threw', or (it returned) waits for the first call of a recorded
 * callback ('called back', or 'timeout' after CALL_TIMEOUT_MS), then CALLBACK_GRACE_MS for another.
 */
async function callbackOutcome(
  run: () => unknown,
  recorder: CallbackRecorder,
  views: readonly [string, NodeJS.ArrayBufferView][],
  resources: Resources,
): Promise<Outcome> {
  let returned: unknown;
  let outcome: Outcome | undefined;
  try {
    returned = run();
  } catch (error) {
    outcome = { how: 'threw', error: normalizeError(error) };
  }
  recorder.returned = true;
  if (outcome === undefined && recorder.made === 0) {
    await sleep(NO_CALLBACK_MS);
    outcome = { how: 'returned', result: shape(returned, views, resources) };
  } else if (outcome === undefined) {
    for (const until = Date.now() + CALL_TIMEOUT_MS; recorder.calls.length === 0 && Date.now() < until;) await sleep(1);
    outcome = { how: recorder.calls.length === 0 ? 'timeout' : 'called back', result: shape(returned, views, resources) };
  }
  if (recorder.made > 0) {
    await new Promise((resolve) => setImmediate(resolve));
    await sleep(CALLBACK_GRACE_MS);
    outcome.callbacks = recorder.describe(views, resources);
  }
  return outcome;
}

/** Runs one variant in directory `dir` (relative to the child's cwd) and describes what happened. */
async function runVariant(variant: Variant, impl: Implementation, dir: string): Promise<Outcome> {
  const file = path.join(dir, 'data');
  fs.mkdirSync(dir);
  fs.writeFileSync(file, CONTENT);
  fs.mkdirSync(path.join(dir, 'sub'));
  const resources = new Resources(fs.statSync(file).ino);
  const calls: string[] = [];
  const recorder = new CallbackRecorder();
  let outcome: Outcome;
  try {
    let handle: unknown;
    let args: unknown[];
    try {
      if (variant.handle !== undefined) {
        handle = resources.handle(await impl.promises.open(file, variant.handle.flags));
        const fd = (handle as { fd: number }).fd;
        // Leave the file position at 7, where no variant's explicit position points.
        if (variant.handle.flags.includes('r') || variant.handle.flags.includes('+'))
          fs.readSync(fd, Buffer.alloc(7), 0, 7, null);
        if (variant.handle.closed) await (handle as { close(): Promise<void> }).close();
      }
      const ctx: VariantContext = {
        file,
        missing: path.join(dir, 'missing'),
        directory: path.join(dir, 'sub'),
        handle,
        openHandle: async (flags = 'r') => resources.handle(await impl.promises.open(file, flags)),
        openFd: (flags = 'r') => resources.fd(fs.openSync(file, flags)),
        closedFd: () => {
          const fd = fs.openSync(file, 'r');
          fs.closeSync(fd);
          return fd;
        },
        customFs: () => recordingFs(calls),
        callback: (throws) => recorder.make(throws),
      };
      args = await variant.args(ctx);
    } catch (error) {
      return { how: 'setup-failed', error: normalizeError(error) };
    }
    const views = viewsIn(args);
    if (variant.target === 'createReadStream' || variant.target === 'createWriteStream') {
      let stream: Stream | undefined;
      let thrown: Outcome | undefined;
      try {
        stream = callTarget(variant.target, impl, handle, args) as Stream;
      } catch (error) {
        thrown = { how: 'threw', error: normalizeError(error) };
      }
      outcome = thrown ?? (await streamOutcome(stream!, variant.target === 'createReadStream' ? 'read' : 'write', resources));
    } else if (variant.target === 'FileHandle.close twice') {
      const h = handle as { close(): Promise<void> };
      const first = settle(() => h.close(), views, resources);
      const second = settle(() => h.close(), views, resources);
      const [a, b] = [await first, await second];
      outcome = { how: 'resolved', result: { first: a.outcome, second: b.outcome, samePromise: a.returned === b.returned } };
    } else if (isCallbackTarget(variant.target)) {
      outcome = await callbackOutcome(() => callTarget(variant.target, impl, handle, args), recorder, views, resources);
    } else {
      outcome = (await settle(() => callTarget(variant.target, impl, handle, args), views, resources)).outcome;
    }
    if (views.length > 0) outcome.views = Object.fromEntries(views.map(([where, view]) => [where, hexOrHash(viewBytes(view))]));
    if (calls.length > 0) outcome.calls = calls;
    outcome.descriptors = resources.describe();
    outcome.files = snapshot(dir);
    return outcome;
  } finally {
    // The directory stays until the run ends: a stream whose constructor threw, or that was aborted,
    // may still finish its open on the threadpool later (node does), and must find its file.
    await resources.close();
  }
}

/** Makes the calls that create an implementation's lazily made state (AIO context, eventfd) before any variant. */
async function warmUp(impl: Implementation): Promise<void> {
  fs.writeFileSync('warm-up', CONTENT);
  const handle = (await impl.promises.open('warm-up', 'r+')) as { read: Fn; write: Fn; close(): Promise<void> };
  await handle.read(Buffer.alloc(8), 0, 8, 0);
  await handle.write(Buffer.from('x'), 0, 1, 0);
  await handle.close();
  const stream = impl.streams.createReadStream('warm-up') as Stream;
  await new Promise((resolve) => stream.on('close', resolve).on('data', () => undefined));
  fs.rmSync('warm-up');
}

/** A line of the child's report. */
type Report =
  | { ready: { node: string; impl: string; backend: string } }
  | { warmed: true }
  | { start: number }
  | { i: number; label: string; outcome: Outcome }
  | { done: true };

/** The child: `--impl NAME --root DIR --indices 1,2,3`; reports on descriptor 3, works in its cwd. */
export async function childMain(argv: string[]): Promise<void> {
  const option = (name: string) => {
    const at = argv.indexOf(`--${name}`);
    if (at < 0 || at + 1 >= argv.length) throw new Error(`missing --${name}`);
    return argv[at + 1]!;
  };
  const report = (line: Report) => fs.writeSync(3, `${JSON.stringify(line)}\n`);
  const implName = option('impl');
  const impl = loadImplementation(implName, option('root'));
  const variants = argumentVariants();
  const indices = option('indices').split(',').map(Number);
  let current: { i: number; done: boolean } | undefined;
  const die = (how: 'uncaught-exception' | 'unhandled-rejection') => (error: unknown) => {
    if (current !== undefined) {
      const note = current.done ? 'after the variant had settled' : 'while the variant ran';
      report({ i: current.i, label: variants[current.i]!.label, outcome: { how, error: normalizeError(error), note } });
    }
    process.exit(70);
  };
  process.on('uncaughtException', die('uncaught-exception'));
  process.on('unhandledRejection', die('unhandled-rejection'));
  report({ ready: { node: process.version, impl: implName, backend: impl.backend } });
  await warmUp(impl);
  report({ warmed: true });
  for (const i of indices) {
    current = { i, done: false };
    report({ start: i });
    const outcome = await runVariant(variants[i]!, impl, `v${i}`);
    report({ i, label: variants[i]!.label, outcome });
    current.done = true;
    await new Promise((resolve) => setImmediate(resolve));
  }
  report({ done: true });
}

// ---------------------------------------------------------------------------------------------
// Parent: running a side, comparing two sides
// ---------------------------------------------------------------------------------------------

const here = path.dirname(fileURLToPath(import.meta.url));

/** Transpiles this file and argument-variants.ts into `into` and returns the child's entry script. */
export async function buildChildProgram(into: string): Promise<string> {
  const ts = (await import('typescript')).default;
  fs.mkdirSync(into, { recursive: true });
  for (const name of ['argument-variants', 'argument-differential']) {
    const source = fs.readFileSync(path.join(here, `${name}.ts`), 'utf8');
    const output = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    fs.writeFileSync(path.join(into, `${name}.mjs`), output.replace(/from '\.\/(argument-[a-z-]+)'/g, "from './$1.mjs'"));
  }
  const entry = path.join(into, 'child.mjs');
  fs.writeFileSync(entry, "import { childMain } from './argument-differential.mjs';\nawait childMain(process.argv.slice(2));\n");
  return entry;
}

export interface SideRun {
  readonly impl: string;
  /** From the first child: Node version and the implementation's backend. */
  readonly ready?: { node: string; impl: string; backend: string };
  readonly outcomes: Map<number, Outcome>;
  readonly labels: Map<number, string>;
  /** Children that died before finishing their list (one per process-abort). */
  readonly deaths: number;
  readonly seconds: number;
}

export interface SideOptions {
  /** 'node', 'aiofs', 'aiofs-register', or either of the first two with '-broken-read' or '-broken-callbacks' appended. */
  readonly impl: string;
  /** The child program (buildChildProgram). */
  readonly entry: string;
  /** The repository whose dist/ is aiofs. */
  readonly root: string;
  /** A fresh directory the children work in. */
  readonly dir: string;
  readonly indices: readonly number[];
  /** A child that reports nothing for this long is killed (its variant counts as process-abort). */
  readonly silenceMs?: number;
}

interface ChildExit {
  readonly lines: Report[];
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

function runChild(o: SideOptions, indices: readonly number[]): Promise<ChildExit> {
  return new Promise((resolve, reject) => {
    const args = [process.execPath, o.entry, '--impl', o.impl, '--root', o.root, '--indices', indices.join(',')];
    // No core files: node's CHECK failures abort() on purpose here.
    const child = spawn('/bin/sh', ['-c', 'ulimit -c 0; exec "$@"', 'sh', ...args], {
      cwd: o.dir,
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    const lines: Report[] = [];
    let partial = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    const watchdog = () => {
      clearTimeout(timer);
      timer = setTimeout(() => child.kill('SIGKILL'), o.silenceMs ?? 30_000);
    };
    watchdog();
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => {
      watchdog();
      partial += chunk.toString();
      const complete = partial.split('\n');
      partial = complete.pop()!;
      for (const line of complete) if (line !== '') lines.push(JSON.parse(line) as Report);
    });
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ lines, status, signal, stderr });
    });
  });
}

/** Runs every variant of `o.indices` on one side, restarting the child after each death. */
export async function runSide(o: SideOptions): Promise<SideRun> {
  const started = Date.now();
  const outcomes = new Map<number, Outcome>();
  const labels = new Map<number, string>();
  let ready: SideRun['ready'];
  let deaths = 0;
  let remaining = [...o.indices];
  fs.mkdirSync(o.dir, { recursive: true });
  while (remaining.length > 0) {
    const known = outcomes.size;
    const exit = await runChild(o, remaining);
    let done = false;
    let warmed = false;
    let running: number | undefined;
    for (const line of exit.lines) {
      if ('ready' in line) ready ??= line.ready;
      else if ('warmed' in line) warmed = true;
      else if ('start' in line) running = line.start;
      else if ('done' in line) done = true;
      else {
        outcomes.set(line.i, line.outcome);
        labels.set(line.i, line.label);
      }
    }
    remaining = remaining.filter((i) => !outcomes.has(i));
    if (done) {
      if (remaining.length > 0)
        throw new Error(`the ${o.impl} child finished without reporting variants ${remaining.join(', ')}`);
      break;
    }
    if (!warmed) {
      throw new Error(
        `the ${o.impl} child died before its first variant (status ${exit.status}, signal ${exit.signal}):\n${exit.stderr}`,
      );
    }
    deaths++;
    // The child died running `running` (unless it reported that one already: an uncaught exception).
    if (running !== undefined && !outcomes.has(running)) {
      const stderrTail = exit.stderr.trim().split('\n').slice(0, 6).join('\n');
      const how =
        exit.signal === 'SIGKILL'
          ? `killed after ${(o.silenceMs ?? 30_000) / 1000} s without a report`
          : `status ${exit.status}, signal ${exit.signal}`;
      outcomes.set(running, { how: 'process-abort', note: `${how}: ${stderrTail}` });
      remaining = remaining.filter((i) => i !== running);
    }
    if (outcomes.size === known)
      throw new Error(
        `the ${o.impl} child died without making progress (status ${exit.status}, signal ${exit.signal}):\n${exit.stderr}`,
      );
  }
  return { impl: o.impl, ready, outcomes, labels, deaths, seconds: (Date.now() - started) / 1000 };
}

export interface Difference {
  readonly index: number;
  readonly target: Target;
  readonly label: string;
  /** Where the outcomes first differ, as a sentence. */
  readonly where: string;
  readonly expected: Outcome | undefined;
  readonly actual: Outcome | undefined;
}

export interface Comparison {
  readonly compared: number;
  readonly differences: Difference[];
  /** Variants where node aborted the process and the other side threw or rejected ERR_OUT_OF_RANGE / ERR_INVALID_ARG_TYPE instead. */
  readonly abortStandIns: { index: number; label: string; code: unknown; how: string }[];
}

/** Where `actual` first differs from `expected` (JSON data; `note` ignored), or undefined. */
export function firstDifference(expected: unknown, actual: unknown, at = '$'): string | undefined {
  if (Array.isArray(expected) && Array.isArray(actual)) {
    for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
      const d = firstDifference(expected[i], actual[i], `${at}[${i}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (isRecord(expected) && isRecord(actual) && !Array.isArray(expected) && !Array.isArray(actual)) {
    for (const key of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
      if (key === 'note') continue;
      const d = firstDifference(expected[key], actual[key], `${at}.${key}`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return Object.is(expected, actual)
    ? undefined
    : `${at}: ${inspect(expected, { breakLength: Infinity })} vs ${inspect(actual, { breakLength: Infinity })}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object';
}

/**
 * Compares two sides variant by variant. `expected` is node:fs. Where node aborted the process the
 * other side must throw or reject with one of ABORT_STAND_IN_CODES, unless `bothNode` (the self-check,
 * where both sides are node and both abort).
 */
export function compareSides(
  variants: readonly Variant[],
  indices: readonly number[],
  expected: SideRun,
  actual: SideRun,
  bothNode = false,
): Comparison {
  const differences: Difference[] = [];
  const abortStandIns: Comparison['abortStandIns'] = [];
  for (const index of indices) {
    const variant = variants[index]!;
    const e = expected.outcomes.get(index);
    const a = actual.outcomes.get(index);
    const add = (where: string) =>
      differences.push({ index, target: variant.target, label: variant.label, where, expected: e, actual: a });
    for (const side of [expected, actual]) {
      const label = side.labels.get(index);
      if (label !== undefined && label !== variant.label)
        add(`the ${side.impl} child ran a different variant #${index}: ${label}`);
    }
    if (e === undefined || a === undefined) {
      add('no outcome');
      continue;
    }
    if (e.how === 'process-abort' && !bothNode) {
      const code = (a.error as { code?: unknown } | undefined)?.code;
      if ((a.how === 'threw' || a.how === 'rejected') && ABORT_STAND_IN_CODES.includes(code as string))
        abortStandIns.push({ index, label: variant.label, code, how: a.how });
      else
        add(
          `node aborted the process, so the other side must throw or reject ${ABORT_STAND_IN_CODES.join(' or ')}; it gave ${a.how}${code === undefined ? '' : ` ${inspect(code)}`}`,
        );
      continue;
    }
    const where = firstDifference(e, a);
    if (where !== undefined) add(`the outcomes first differ at ${where}`);
  }
  return { compared: indices.length, differences, abortStandIns };
}

/** A difference as text: the variant, where the outcomes part, and both outcomes in full. */
export function formatDifference(d: Difference, expectedName = 'node:fs', actualName = 'aiofs'): string {
  const show = (o: Outcome | undefined) => inspect(o, { depth: 8, breakLength: 160, maxArrayLength: 20, maxStringLength: 300 });
  return [
    `${d.label}   [variant #${d.index}]`,
    `  ${d.where}`,
    `  ${expectedName}: ${show(d.expected).split('\n').join('\n    ')}`,
    `  ${actualName}: ${show(d.actual).split('\n').join('\n    ')}`,
  ].join('\n');
}

/** Differences grouped by target: how many, and the first of each as an example. */
export function summarizeDifferences(differences: readonly Difference[]): string {
  const byTarget = new Map<string, Difference[]>();
  for (const d of differences) byTarget.set(d.target, [...(byTarget.get(d.target) ?? []), d]);
  return [...byTarget]
    .map(([target, list]) => `${target}: ${list.length} difference(s), e.g. ${list[0]!.label}\n    ${list[0]!.where}`)
    .join('\n');
}
