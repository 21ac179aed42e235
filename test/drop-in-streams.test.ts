/**
 * A true drop-in: aiofs's ReadStream and WriteStream as node's constructors. Every scenario
 * runs the same script against node:fs and against aiofs on the same Node and compares what a program
 * can observe: events in order (with `pending` at each), bytes, bytesRead/bytesWritten, and the
 * stream's path/fd/flags/mode/start/end/pos; nothing is expected that node:fs does not show itself.
 *
 * - Construction: `new`, a call without `new`, an ES subclass, and old-style subclasses exactly as
 *   graceful-fs writes them (fs$ReadStream.apply(this, arguments) with util.inherits or
 *   Object.create, and their own open(), node's deprecated legacy path that waits for 'open'). The
 *   aiofs runs must also have gone through aiofs (its context's counters grew).
 * - The `fs` option: custom open/read/write/writev/close/fsync are called exactly as node calls them
 *   (both call logs compared), errors they return surface as node's do, EAGAIN and short writes are
 *   retried as node retries them.
 * - FileHandles as `fd`: node's streams over aiofs's handle, aiofs's streams over node's and aiofs's
 *   handles, and fh.createReadStream()/createWriteStream() on aiofs's handle (aiofs's streams).
 *
 * Needs a fresh dist/ (npm run build).
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as util from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { aioActivity } from './support/aio-activity.js';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any */
const aiofs = require('../dist/index.js') as any;

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'aiofs-dropin-streams-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** The two modules a scenario runs against: node:fs itself and aiofs (which exports all of node:fs). */
const MODULES: [label: 'node' | 'aiofs', module: any][] = [
  ['node', fs],
  ['aiofs', aiofs],
];
const CONTENT = randomBytes(3 * 1024 * 1024 + 12345);
const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex').slice(0, 16);

let serial = 0;
/** A directory per run, so that both runs see the same relative names (paths are compared with it cut). */
function runDir(): string {
  const dir = path.join(root, `run-${++serial}`);
  fs.mkdirSync(dir);
  return dir;
}

/** Replaces `dir` in every string of `value` (JSON round trip: the compared records are plain data). */
function withoutDir<T>(value: T, dir: string): T {
  return JSON.parse(
    JSON.stringify(value ?? null)
      .split(dir)
      .join('<dir>'),
  ) as T;
}

const errorText = (error: NodeJS.ErrnoException): string => `${error.name}:${error.code}:${error.syscall ?? ''}:${error.message}`;

/** The properties a program reads off a file stream. */
function streamProperties(stream: any): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const key of [
    'pending',
    'fd',
    'path',
    'flags',
    'mode',
    'start',
    'end',
    'pos',
    'bytesRead',
    'bytesWritten',
    'autoClose',
    'flush',
    'destroyed',
    'closed',
  ]) {
    const value = stream[key];
    shown[key] = typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
  }
  // The descriptor's number is the process's business; whether there is one is the stream's.
  shown.fd = typeof shown.fd === 'number' ? 'a number' : shown.fd;
  return shown;
}

/**
 * Records a read stream until 'close' ('end' for a stream that does not close itself): events in order
 * (runs of 'data' as one), bytes, properties.
 */
function recordRead(stream: any, until: 'close' | 'end' = 'close'): Promise<Record<string, unknown>> {
  const events: string[] = [];
  const chunks: Buffer[] = [];
  const constructed = streamProperties(stream);
  const note = (name: string) => (arg?: any) => {
    const detail = name === 'error' ? ` ${errorText(arg)}` : name === 'open' ? ` ${typeof arg}` : '';
    events.push(`${name}${detail} pending=${stream.pending}`);
  };
  for (const name of ['open', 'ready', 'end', 'close', 'error', 'pause', 'resume']) stream.on(name, note(name));
  stream.on('data', (chunk: Buffer) => {
    chunks.push(Buffer.from(chunk));
    if (events[events.length - 1] !== 'data') events.push('data');
  });
  return new Promise((resolve) =>
    stream.once(until, () =>
      resolve({
        constructed,
        events,
        sha: sha(Buffer.concat(chunks)),
        length: Buffer.concat(chunks).length,
        closed: streamProperties(stream),
      }),
    ),
  );
}

/**
 * Writes `chunks` (waiting for 'drain' when write() says so), ends, records everything until 'close'
 * ('finish' for a stream that does not close itself).
 */
async function recordWrite(
  stream: any,
  chunks: (Buffer | string)[],
  file: string | null,
  until: 'close' | 'finish' = 'close',
): Promise<Record<string, unknown>> {
  const events: string[] = [];
  const constructed = streamProperties(stream);
  const note = (name: string) => (arg?: any) => {
    const detail = name === 'error' ? ` ${errorText(arg)}` : name === 'open' ? ` ${typeof arg}` : '';
    events.push(`${name}${detail} pending=${stream.pending} bytesWritten=${stream.bytesWritten}`);
  };
  for (const name of ['open', 'ready', 'drain', 'finish', 'close', 'error']) stream.on(name, note(name));
  const closed = new Promise((resolve) => stream.once(until, resolve));
  for (const [i, chunk] of chunks.entries()) {
    if (stream.destroyed) break;
    const more = stream.write(chunk, (error?: Error | null) =>
      events.push(`callback ${i}${error ? ` ${errorText(error)}` : ''}`),
    );
    if (!more) {
      events.push(`write ${i} returned false`);
      await new Promise((resolve) => {
        stream.once('drain', resolve);
        stream.once('close', resolve);
      });
    }
  }
  if (!stream.destroyed) stream.end(() => events.push('end callback'));
  await closed;
  const contents = file !== null && fs.existsSync(file) ? fs.readFileSync(file) : null;
  return {
    constructed,
    events,
    file: contents === null ? null : sha(contents),
    fileLength: contents?.length ?? null,
    closed: streamProperties(stream),
  };
}

const WRITES = [
  Buffer.alloc(1, 1),
  Buffer.alloc(70_000, 2),
  'a string chunk',
  Buffer.alloc(4096, 3),
  Buffer.alloc(200_000, 4),
  Buffer.alloc(511, 5),
];

/** graceful-fs's ReadStream, as its legacy-streams/graceful-fs.js writes it, over `fsModule`. */
function gracefulReadStream(fsModule: any, chain: 'util.inherits' | 'Object.create'): any {
  const fs$ReadStream = fsModule.ReadStream;
  function ReadStream(this: any, _path: unknown, _options: unknown): any {
    // eslint-disable-next-line prefer-rest-params
    if (this instanceof ReadStream) return (fs$ReadStream.apply(this, arguments), this);
    // eslint-disable-next-line prefer-rest-params
    else return (ReadStream as any).apply(Object.create(ReadStream.prototype), arguments);
  }
  if (chain === 'util.inherits') util.inherits(ReadStream, fs$ReadStream);
  else ReadStream.prototype = Object.create(fs$ReadStream.prototype);
  ReadStream.prototype.open = function ReadStream$open(this: any) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- graceful-fs's own code, as it ships
    const that = this;
    fsModule.open(that.path, that.flags, that.mode, function (err: Error | null, fd: number) {
      if (err) {
        if (that.autoClose) that.destroy();
        that.emit('error', err);
      } else {
        that.fd = fd;
        that.emit('open', fd);
        that.read();
      }
    });
  };
  return ReadStream;
}

/** graceful-fs's WriteStream, as it writes it, over `fsModule`. */
function gracefulWriteStream(fsModule: any, chain: 'util.inherits' | 'Object.create'): any {
  const fs$WriteStream = fsModule.WriteStream;
  function WriteStream(this: any, _path: unknown, _options: unknown): any {
    // eslint-disable-next-line prefer-rest-params
    if (this instanceof WriteStream) return (fs$WriteStream.apply(this, arguments), this);
    // eslint-disable-next-line prefer-rest-params
    else return (WriteStream as any).apply(Object.create(WriteStream.prototype), arguments);
  }
  if (chain === 'util.inherits') util.inherits(WriteStream, fs$WriteStream);
  else WriteStream.prototype = Object.create(fs$WriteStream.prototype);
  WriteStream.prototype.open = function WriteStream$open(this: any) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- graceful-fs's own code, as it ships
    const that = this;
    fsModule.open(that.path, that.flags, that.mode, function (err: Error | null, fd: number) {
      if (err) {
        that.destroy();
        that.emit('error', err);
      } else {
        that.fd = fd;
        that.emit('open', fd);
      }
    });
  };
  return WriteStream;
}

type Construct = (fsModule: any, file: string, options: object) => any;
const CONSTRUCTIONS: Record<string, { read: Construct; write: Construct }> = {
  'new ReadStream(p)': {
    read: (m, file, options) => new m.ReadStream(file, options),
    write: (m, file, options) => new m.WriteStream(file, options),
  },
  'ReadStream(p) without new': {
    read: (m, file, options) => m.ReadStream(file, options),
    write: (m, file, options) => m.WriteStream(file, options),
  },
  'class X extends ReadStream': {
    read: (m, file, options) => {
      const ReadStream: new (file: string, options: object) => fs.ReadStream = m.ReadStream;
      return new (class X extends ReadStream {})(file, options);
    },
    write: (m, file, options) => {
      const WriteStream: new (file: string, options: object) => fs.WriteStream = m.WriteStream;
      return new (class X extends WriteStream {})(file, options);
    },
  },
  'graceful-fs subclass (util.inherits), with new': {
    read: (m, file, options) => new (gracefulReadStream(m, 'util.inherits'))(file, options),
    write: (m, file, options) => new (gracefulWriteStream(m, 'util.inherits'))(file, options),
  },
  'graceful-fs subclass (util.inherits), without new': {
    read: (m, file, options) => gracefulReadStream(m, 'util.inherits')(file, options),
    write: (m, file, options) => gracefulWriteStream(m, 'util.inherits')(file, options),
  },
  'graceful-fs subclass (Object.create)': {
    read: (m, file, options) => new (gracefulReadStream(m, 'Object.create'))(file, options),
    write: (m, file, options) => new (gracefulWriteStream(m, 'Object.create'))(file, options),
  },
};

describe("streams as node's constructors", () => {
  const READ_OPTIONS: [string, object][] = [
    ['defaults', {}],
    ['start, end, highWaterMark', { start: 5, end: 2_500_000, highWaterMark: 65536 }],
  ];

  for (const [construction, make] of Object.entries(CONSTRUCTIONS)) {
    for (const [optionsName, options] of READ_OPTIONS) {
      it(`read: ${construction}, ${optionsName}`, async () => {
        const records = [];
        let aioGrew = false;
        for (const [label, m] of MODULES) {
          const dir = runDir();
          const file = path.join(dir, 'f');
          fs.writeFileSync(file, CONTENT);
          const before = aioActivity(aiofs.contextStats());
          const stream = make.read(m, file, options);
          const record = await recordRead(stream);
          if (label === 'aiofs') aioGrew = aioActivity(aiofs.contextStats()) > before;
          records.push({ ...withoutDir(record, dir), prototypeChain: stream instanceof m.ReadStream });
        }
        expect(records[1]).toEqual(records[0]);
        expect(aioGrew, 'the aiofs run went through aiofs').toBe(true);
      });
    }

    it(`read: ${construction}, a file that does not exist`, async () => {
      const records = [];
      for (const [, m] of MODULES) {
        const dir = runDir();
        records.push(withoutDir(await recordRead(make.read(m, path.join(dir, 'missing'), {})), dir));
      }
      expect(records[1]).toEqual(records[0]);
    });

    it(`write: ${construction}`, async () => {
      const records = [];
      let aioGrew = false;
      for (const [label, m] of MODULES) {
        const dir = runDir();
        const file = path.join(dir, 'out');
        const before = aioActivity(aiofs.contextStats());
        const record = await recordWrite(make.write(m, file, { highWaterMark: 65536, start: 3, flags: 'w' }), WRITES, file);
        if (label === 'aiofs') aioGrew = aioActivity(aiofs.contextStats()) > before;
        records.push(withoutDir(record, dir));
      }
      expect(records[1]).toEqual(records[0]);
      expect(aioGrew, 'the aiofs run went through aiofs').toBe(true);
    });

    it(`write: ${construction}, into a directory that does not exist`, async () => {
      const records = [];
      for (const [, m] of MODULES) {
        const dir = runDir();
        records.push(withoutDir(await recordWrite(make.write(m, path.join(dir, 'no', 'out'), {}), WRITES, null), dir));
      }
      expect(records[1]).toEqual(records[0]);
    });
  }

  it("constructor errors are node's, for every way of constructing", async () => {
    const dir = runDir();
    const file = path.join(dir, 'f');
    fs.writeFileSync(file, 'x');
    const nodeHandle = await fsp.open(file, 'r');
    const aiofsHandle = await aiofs.promises.open(file, 'r');
    const BAD: [string, unknown, unknown][] = [
      ['start -1', file, { start: -1 }],
      ['start after end', file, { start: 5, end: 1 }],
      ['highWaterMark a string', file, { highWaterMark: 'x' }],
      ['fs.open not a function', file, { fs: { open: 1 } }],
      ['signal not a signal', file, { signal: 'x' }],
      ['path a number', 42, {}],
      ['fd a string', null, { fd: '3' }],
      ["node's FileHandle with fs", null, { fd: nodeHandle, fs: {} }],
      ["aiofs's FileHandle with fs", null, { fd: aiofsHandle, fs: {} }],
      ['options a number', file, 7],
      ['encoding unknown', file, { encoding: 'no-such-encoding' }],
    ];
    const errors: Record<string, unknown[]> = {};
    for (const [construction, make] of Object.entries(CONSTRUCTIONS)) {
      for (const kind of ['read', 'write'] as const) {
        for (const [name, target, options] of BAD) {
          const seen = [];
          for (const [, m] of MODULES) {
            try {
              const stream = make[kind](m, target as string, options as object);
              stream.destroy();
              seen.push('constructed');
            } catch (error) {
              seen.push(errorText(error as NodeJS.ErrnoException));
            }
          }
          errors[`${kind}, ${construction}, ${name}`] = seen;
        }
      }
    }
    await nodeHandle.close();
    await aiofsHandle.close();
    const differences = Object.entries(errors)
      .filter(([, [a, b]]) => a !== b)
      .map(([name, [a, b]]) => `${name}: node ${a}, aiofs ${b}`);
    expect(differences).toEqual([]);
  });

  it('write streams with flush, r+ at a start, and an appending descriptor', async () => {
    const variants: [string, object][] = [
      ['flush', { flush: true }],
      ['r+ at start 1000', { flags: 'r+', start: 1000 }],
      ['a', { flags: 'a' }],
      ['highWaterMark 1', { highWaterMark: 1 }],
    ];
    for (const [name, options] of variants) {
      const records = [];
      for (const [, m] of MODULES) {
        const dir = runDir();
        const file = path.join(dir, 'out');
        fs.writeFileSync(file, CONTENT.subarray(0, 5000));
        records.push(withoutDir(await recordWrite(m.createWriteStream(file, options), WRITES, file), dir));
      }
      expect(records[1], name).toEqual(records[0]);
    }
  });

  it('destroy() while reading and while writing', async () => {
    const records = [];
    for (const [, m] of MODULES) {
      const dir = runDir();
      const file = path.join(dir, 'f');
      fs.writeFileSync(file, CONTENT);
      const reader = m.createReadStream(file, { highWaterMark: 65536 });
      const read = recordRead(reader);
      await new Promise((resolve) => reader.once('data', resolve));
      reader.destroy();
      const readRecord = await read;
      const writer = m.createWriteStream(path.join(dir, 'out'));
      const written = recordWrite(writer, [], null);
      writer.write(Buffer.alloc(100_000, 7));
      writer.destroy(new Error('stop'));
      // How much was read before destroy() depends on chunk boundaries, which may differ (README): not compared.
      const { bytesRead, pos, ...closed } = readRecord.closed as Record<string, unknown>;
      records.push(
        withoutDir(
          {
            read: { events: readRecord.events, closed, someRead: (bytesRead as number) > 0, pos: typeof pos },
            written: await written,
          },
          dir,
        ),
      );
    }
    expect(records[1]).toEqual(records[0]);
  });
});

describe('descriptors given as numbers, and signals', () => {
  it("a stream over an fd number without start follows and advances the descriptor's position, as node's does", async () => {
    const records = [];
    for (const [, m] of MODULES) {
      const dir = runDir();
      const file = path.join(dir, 'f');
      fs.writeFileSync(file, CONTENT);
      const seen: Record<string, unknown> = {};
      let fd = fs.openSync(file, 'r');
      fs.readSync(fd, Buffer.alloc(777), 0, 777, null);
      const first = await recordRead(m.createReadStream(null, { fd, autoClose: false, end: 100_000 }), 'end');
      const next = Buffer.alloc(10);
      seen.first = { ...first, next: [fs.readSync(fd, next, 0, 10, null), next.toString('hex')] };
      const rest = await recordRead(m.createReadStream(null, { fd, autoClose: false }), 'end');
      seen.rest = { ...rest, next: fs.readSync(fd, next, 0, 10, null) };
      fs.closeSync(fd);
      fd = fs.openSync(file, 'r+');
      fs.writeSync(fd, 'abc', null);
      const written = await recordWrite(m.createWriteStream(null, { fd, autoClose: false }), WRITES, null, 'finish');
      fs.writeSync(fd, 'AFTER', null);
      fs.closeSync(fd);
      seen.written = { ...written, file: sha(fs.readFileSync(file)) };
      records.push(seen);
    }
    expect(records[1]).toEqual(records[0]);
  });

  it("a small file grown or cut short between a path stream's open and its first read is read as it is then, as node's does", async () => {
    // aiofs opens such a path from the dentry cache and learns the file's size there (read-stream.ts,
    // cachedOpenOperations); the reads must still find the file as it is when they run.
    const records = [];
    const before = aioActivity(aiofs.contextStats());
    for (const [, m] of MODULES) {
      const dir = runDir();
      const seen: Record<string, unknown> = {};
      for (const [name, change] of [
        ['grown', (file: string) => fs.appendFileSync(file, CONTENT.subarray(5000, 200_000))],
        ['cut short', (file: string) => fs.truncateSync(file, 1234)],
        ['emptied', (file: string) => fs.truncateSync(file, 0)],
      ] as const) {
        const file = path.join(dir, name);
        fs.writeFileSync(file, CONTENT.subarray(0, 5000));
        const stream = m.createReadStream(file);
        stream.once('open', () => change(file));
        seen[name] = await recordRead(stream);
      }
      records.push(withoutDir(seen, dir));
    }
    expect(records[1]).toEqual(records[0]);
    expect((records[0] as any).grown.length).toBe(200_000);
    expect(aioActivity(aiofs.contextStats())).toBeGreaterThan(before);
  });

  it('an AbortSignal aborting a read stream and a write stream', async () => {
    const records = [];
    for (const [, m] of MODULES) {
      const dir = runDir();
      const file = path.join(dir, 'f');
      fs.writeFileSync(file, CONTENT);
      const readAbort = new AbortController();
      const reader = m.createReadStream(file, { signal: readAbort.signal, highWaterMark: 65536 });
      reader.once('data', () => readAbort.abort());
      const read = await recordRead(reader);
      const writeAbort = new AbortController();
      const writer = m.createWriteStream(path.join(dir, 'out'), { signal: writeAbort.signal });
      writer.once('ready', () => writeAbort.abort());
      const written = await recordWrite(writer, WRITES, null);
      const { bytesRead, pos, ...closed } = read.closed as Record<string, unknown>;
      records.push(
        withoutDir({ read: { events: read.events, closed, someRead: (bytesRead as number) > 0, pos: typeof pos }, written }, dir),
      );
    }
    expect(records[1]).toEqual(records[0]);
  });
});

describe('the `fs` option', () => {
  const CALLS = ['open', 'read', 'write', 'writev', 'close', 'fsync'] as const;
  type Log = unknown[][];
  type Override = (args: unknown[], callback: (...results: unknown[]) => void, real: (...args: unknown[]) => void) => void;

  /** An argument as the log shows it: buffers by length, arrays by their lengths. */
  function shown(value: unknown): unknown {
    if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `<${value.length} bytes>`;
    if (Array.isArray(value)) return value.map(shown);
    return value;
  }

  /** Operations wrapping node:fs's that log every call and every callback; `overrides` replace some. */
  function loggedOperations(
    log: Log,
    overrides: Partial<Record<(typeof CALLS)[number], Override>> = {},
  ): Record<string, unknown> {
    const operations: Record<string, unknown> = {};
    for (const name of CALLS) {
      operations[name] = (...args: unknown[]) => {
        const callback = args.pop() as (...results: unknown[]) => void;
        // The descriptor (first argument of all but open) as a name: numbers are the process's business.
        log.push([name, ...args.map((arg, i) => (i === 0 && name !== 'open' ? 'fd' : shown(arg)))]);
        const done = (...results: unknown[]) => {
          const [error, ...rest] = results as [NodeJS.ErrnoException | null, ...unknown[]];
          log.push([
            `${name} callback`,
            error ? error.code : null,
            ...rest.map((value) => (typeof value === 'number' && name === 'open' ? 'fd' : shown(value))),
          ]);
          callback(...results);
        };
        const real = (...realArgs: unknown[]) => (fs as any)[name](...realArgs);
        const override = overrides[name];
        if (override) override(args, done, (...realArgs) => real(...realArgs));
        else real(...args, done);
      };
    }
    return operations;
  }

  const failing =
    (code: string): Override =>
    (_args, callback) => {
      const error: NodeJS.ErrnoException = new Error(`${code}: injected`);
      error.code = code;
      setImmediate(callback, error);
    };

  /** EAGAIN (node's write/writev retry on it) on every call but each `period`-th; `period` 0: always. */
  function eagain(period: number): Partial<Record<'write' | 'writev', Override>> {
    let calls = 0;
    const override: Override = (args, callback, real) => {
      if (period === 0 || ++calls % period !== 0) {
        const error: NodeJS.ErrnoException = new Error('EAGAIN: resource temporarily unavailable');
        error.code = 'EAGAIN';
        // node's retry takes the rest of the data from what the callback hands back (buffer or buffers).
        setImmediate(callback, error, 0, args[1]);
        return;
      }
      real(...args, callback);
    };
    return { write: override, writev: override };
  }

  /** Writes at most half of what is asked, as a short write(2) would. */
  const shortWrites: Partial<Record<'write', Override>> = {
    write: (args, callback, real) => {
      const [fd, buffer, offset, length, position] = args as [number, Buffer, number, number, number | null];
      real(fd, buffer, offset, Math.max(1, Math.floor(length / 2)), position, callback);
    },
  };

  const READ_CASES: [string, Partial<Record<(typeof CALLS)[number], Override>>][] = [
    ["node's operations, logged", {}],
    ['read fails with EIO', { read: failing('EIO') }],
    ['open fails with EACCES', { open: failing('EACCES') }],
    ['close fails with EIO', { close: failing('EIO') }],
  ];
  for (const [name, overrides] of READ_CASES) {
    it(`read stream: ${name}`, async () => {
      const records = [];
      for (const [, m] of MODULES) {
        const dir = runDir();
        const file = path.join(dir, 'f');
        fs.writeFileSync(file, CONTENT.subarray(0, 300_000));
        const log: Log = [];
        const record = await recordRead(
          m.createReadStream(file, { fs: loggedOperations(log, overrides), highWaterMark: 65536, start: 10, end: 250_000 }),
        );
        records.push(withoutDir({ record, log }, dir));
      }
      expect(records[1]).toEqual(records[0]);
    });
  }

  const WRITE_CASES: [string, Partial<Record<(typeof CALLS)[number], Override>>, object][] = [
    ["node's operations, logged, flush", {}, { flush: true }],
    ['write and writev fail with EIO', { write: failing('EIO'), writev: failing('EIO') }, {}],
    ['fsync fails with EIO (flush)', { fsync: failing('EIO') }, { flush: true }],
    ['EAGAIN twice in three calls, retried', eagain(3), {}],
    ['EAGAIN every time: node gives up', eagain(0), {}],
    ['short writes, continued', shortWrites, { highWaterMark: 1 }],
  ];
  for (const [name, overrides, options] of WRITE_CASES) {
    it(`write stream: ${name}`, async () => {
      const records = [];
      for (const [, m] of MODULES) {
        const dir = runDir();
        const file = path.join(dir, 'out');
        const log: Log = [];
        const record = await recordWrite(
          m.createWriteStream(file, { ...options, fs: loggedOperations(log, overrides) }),
          WRITES,
          file,
        );
        records.push(withoutDir({ record, log }, dir));
      }
      expect(records[1]).toEqual(records[0]);
    });
  }
});

describe('FileHandles as `fd`', () => {
  type Open = (file: string, flags: string) => Promise<fsp.FileHandle>;
  const openNode: Open = (file, flags) => fsp.open(file, flags);
  const openAiofs: Open = (file, flags) => aiofs.promises.open(file, flags);

  /** Reads `file` through a stream made over a handle; the handle's own state afterwards too. */
  async function readThrough(open: Open, make: (fh: fsp.FileHandle) => any, file: string) {
    const fh = await open(file, 'r');
    const handleEvents: string[] = [];
    fh.on('close', () => handleEvents.push('handle close'));
    const before = aioActivity(aiofs.contextStats());
    const stream = make(fh);
    const record = await recordRead(stream);
    return {
      record,
      handleEvents,
      handleFd: fh.fd,
      throughAio: aioActivity(aiofs.contextStats()) > before,
      aiofsStream: Object.getPrototypeOf(stream) === aiofs.ReadStream.prototype,
      instanceOfAiofs: stream instanceof aiofs.ReadStream,
      instanceOfNode: stream instanceof fs.ReadStream,
    };
  }

  const OPTIONS = { start: 100, end: 2_000_000 };

  it("node's fs.createReadStream over an aiofs handle reads as over node's handle (and through aiofs)", async () => {
    const dir = runDir();
    const file = path.join(dir, 'f');
    fs.writeFileSync(file, CONTENT);
    const control = await readThrough(openNode, (fh) => fs.createReadStream(null as any, { ...OPTIONS, fd: fh }), file);
    const tried = await readThrough(openAiofs, (fh) => fs.createReadStream(null as any, { ...OPTIONS, fd: fh }), file);
    expect({ ...tried, throughAio: undefined }).toEqual({ ...control, throughAio: undefined });
    expect(tried.throughAio, "node's stream read through the aiofs handle's methods").toBe(true);
    expect(control.record.sha).toBe(sha(CONTENT.subarray(100, 2_000_001)));
  });

  it("aiofs's createReadStream over node's handle and over aiofs's handle reads as node's does", async () => {
    const dir = runDir();
    const file = path.join(dir, 'f');
    fs.writeFileSync(file, CONTENT);
    const control = await readThrough(openNode, (fh) => fs.createReadStream(null as any, { ...OPTIONS, fd: fh }), file);
    const overNodeHandle = await readThrough(openNode, (fh) => aiofs.createReadStream(null, { ...OPTIONS, fd: fh }), file);
    const overAiofsHandle = await readThrough(openAiofs, (fh) => aiofs.createReadStream(null, { ...OPTIONS, fd: fh }), file);
    const comparable = (run: typeof control) => ({ record: run.record, handleEvents: run.handleEvents, handleFd: run.handleFd });
    expect(comparable(overNodeHandle)).toEqual(comparable(control));
    expect(comparable(overAiofsHandle)).toEqual(comparable(control));
    expect(overAiofsHandle.aiofsStream).toBe(true);
    expect(overAiofsHandle.throughAio).toBe(true);
  });

  it("fh.createReadStream() on an aiofs handle is an aiofs stream that behaves as node's", async () => {
    const dir = runDir();
    const file = path.join(dir, 'f');
    fs.writeFileSync(file, CONTENT);
    for (const options of [undefined, OPTIONS, { encoding: 'latin1', highWaterMark: 1000, start: 7 }]) {
      const control = await readThrough(openNode, (fh) => (fh as any).createReadStream(options), file);
      const tried = await readThrough(openAiofs, (fh) => (fh as any).createReadStream(options), file);
      expect(tried.aiofsStream, 'Object.getPrototypeOf(stream) === aiofs.ReadStream.prototype').toBe(true);
      expect(tried.instanceOfAiofs).toBe(true);
      expect(tried.throughAio).toBe(true);
      const comparable = (run: typeof control) => ({
        record: run.record,
        handleEvents: run.handleEvents,
        handleFd: run.handleFd,
        instanceOfNode: run.instanceOfNode,
      });
      expect(comparable(tried), JSON.stringify(options)).toEqual(comparable(control));
    }
  });

  it("fh.createWriteStream() on an aiofs handle is an aiofs stream that behaves as node's", async () => {
    for (const [flags, options] of [
      ['w', undefined],
      ['r+', { start: 10 }],
      ['r+', { flush: true }],
    ] as const) {
      const records = [];
      for (const open of [openNode, openAiofs]) {
        const dir = runDir();
        const file = path.join(dir, 'out');
        fs.writeFileSync(file, CONTENT.subarray(0, 100_000));
        const fh = await open(file, flags);
        const handleEvents: string[] = [];
        fh.on('close', () => handleEvents.push('handle close'));
        const before = aioActivity(aiofs.contextStats());
        const stream = (fh as any).createWriteStream(options);
        const record = await recordWrite(stream, WRITES, file);
        records.push({
          record: withoutDir(record, dir),
          handleEvents,
          handleFd: fh.fd,
          aiofsStream: Object.getPrototypeOf(stream) === aiofs.WriteStream.prototype,
          throughAio: aioActivity(aiofs.contextStats()) > before,
        });
      }
      expect(records[1].aiofsStream).toBe(true);
      expect(records[1].throughAio).toBe(true);
      expect({ ...records[1], aiofsStream: undefined, throughAio: undefined }, `${flags} ${JSON.stringify(options)}`).toEqual({
        ...records[0],
        aiofsStream: undefined,
        throughAio: undefined,
      });
    }
  });

  it("aiofs's createWriteStream over node's and aiofs's handles writes as node's does", async () => {
    const records = [];
    for (const [open, module] of [
      [openNode, fs],
      [openNode, aiofs],
      [openAiofs, aiofs],
      [openAiofs, fs],
    ] as const) {
      const dir = runDir();
      const file = path.join(dir, 'out');
      const fh = await open(file, 'w');
      const record = await recordWrite((module as any).createWriteStream(null, { fd: fh, start: 2 }), WRITES, file);
      records.push({ record: withoutDir(record, dir), handleFd: fh.fd });
    }
    expect(records[1]).toEqual(records[0]);
    expect(records[2]).toEqual(records[0]);
    expect(records[3]).toEqual(records[0]);
  });
});
