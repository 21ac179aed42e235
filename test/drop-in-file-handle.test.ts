/**
 * A true drop-in: aiofs's FileHandle against node's, each scenario run twice on the same
 * Node (once through node:fs/promises, once through aiofs/promises) and the outcomes compared; nothing
 * is expected that node:fs on this Node does not show itself.
 *
 * - Ownership first: a handle closed while a stream reads through it, then another file opened at
 *   once on the same descriptor number, 40 times per way of making the stream: the first stream never
 *   sees the second file's bytes; close() waits for 32 reads and 32 writes in flight.
 * - Every FileHandle method (walked from node's prototype, so a method a new Node adds fails here until
 *   it gets a recipe): same results, same effects, same errors after close.
 * - node's own APIs that take a FileHandle: fs.createReadStream({ fd }), http2 respondWithFD, transfer
 *   to a worker (and its refusal while an operation is in progress).
 * - open() failures and odd flags leave no descriptor behind; contextStats() answers in a fresh process.
 *
 * Needs a fresh dist/ (npm run build).
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as http2 from 'node:http2';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { aioActivity } from './support/aio-activity.js';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any */
const aiofs = require('../dist/index.js') as any;
const aiofsp = aiofs.promises as { open: typeof fsp.open; readFile: any };

const repo = fileURLToPath(new URL('..', import.meta.url));
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'aiofs-dropin-fh-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

type Open = (file: string, flags?: string | number, mode?: number) => Promise<fsp.FileHandle>;
const IMPLS: [label: 'node' | 'aiofs', open: Open][] = [
  ['node', fsp.open as Open],
  ['aiofs', aiofsp.open as Open],
];

let serial = 0;
/** A fresh file (its own name) holding `bytes`. */
function fileWith(bytes: Uint8Array | string, name = 'f'): string {
  const file = path.join(root, `${name}-${++serial}`);
  fs.writeFileSync(file, bytes);
  return file;
}
const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex').slice(0, 16);
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** An error as the comparison sees it: no stack, the file's path replaced. */
function errorShape(error: unknown, file?: string): Record<string, unknown> {
  const e = error as NodeJS.ErrnoException;
  const text = (value: unknown): unknown => (typeof value === 'string' && file ? value.split(file).join('<file>') : value);
  return { name: e?.name, code: e?.code, errno: e?.errno, syscall: e?.syscall, path: text(e?.path), message: text(e?.message) };
}

/** Outcome of a call that may throw synchronously, reject, or resolve. */
async function outcome(call: () => unknown, file?: string): Promise<Record<string, unknown>> {
  let value: unknown;
  try {
    value = call();
  } catch (error) {
    return { threw: errorShape(error, file) };
  }
  try {
    return { resolved: await value };
  } catch (error) {
    return { rejected: errorShape(error, file) };
  }
}

/** Descriptors of this process that point into `dir` (the O_DIRECT ones aiofs opens included). */
function descriptorsUnder(dir: string): string[] {
  const found: string[] = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dir)) found.push(`${fd} -> ${target}`);
    } catch {
      // closed between readdir and readlink (the readdir's own descriptor)
    }
  }
  return found;
}
/** Writes back and drops the files' pages from the page cache (node:fs has no fadvise; python3's os has). */
function evictFromPageCache(files: string[]): void {
  const program =
    'import os, sys\nfor f in sys.argv[1:]:\n  fd = os.open(f, os.O_RDONLY); os.fdatasync(fd); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED); os.close(fd)';
  const run = spawnSync('python3', ['-c', program, ...files], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`evicting from the page cache failed: ${run.stderr}`);
}
const descriptorCount = (): number => fs.readdirSync('/proc/self/fd').length;

// aiofs's context (its eventfd) exists before any descriptor is counted.
aiofs.contextStats();

describe('ownership: closing a handle a stream reads through', () => {
  const A = fileWith(Buffer.alloc(8 << 20, 0x41), 'own-a');
  const B = fileWith(Buffer.alloc(8 << 20, 0x42), 'own-b');

  /** Trials in which the next file got the closed handle's descriptor number (the case under test). */
  let reusedNumbers = 0;
  type StreamMaker = 'fh.createReadStream' | 'fs.createReadStream({ fd: fh })' | 'aiofs.createReadStream({ fd: fh })';
  // Only Readable's API is used on them (and no encoding is set, so 'data' gives Buffers).
  const makers: Record<StreamMaker, (fh: fsp.FileHandle) => Readable> = {
    'fh.createReadStream': (fh) => (fh as any).createReadStream({ highWaterMark: 65536 }),
    'fs.createReadStream({ fd: fh })': (fh) => fs.createReadStream(null as any, { fd: fh, highWaterMark: 65536 }),
    'aiofs.createReadStream({ fd: fh })': (fh) => aiofs.createReadStream(null, { fd: fh, highWaterMark: 65536 }),
  };

  /**
   * One trial: a stream reads A through the handle; the handle is closed (`when`: at once, after a turn
   * of the loop, or after the first chunk); as soon as close() resolves B is opened, taking A's descriptor
   * number, and read through, while the first stream winds down.
   */
  async function trial(open: Open, maker: StreamMaker, when: 'at once' | 'next turn' | 'first chunk', file = A) {
    const fh = await open(file, 'r');
    const fd = fh.fd;
    const stream = makers[maker](fh);
    let closed = false;
    let bytesOfB = 0;
    let chunksAfterClose = 0;
    const events: string[] = [];
    stream.on('data', (chunk: Buffer) => {
      if (closed) chunksAfterClose++;
      if (chunk.includes(0x42)) bytesOfB += chunk.filter((byte) => byte === 0x42).length;
    });
    for (const name of ['end', 'close', 'error'])
      stream.on(name, (error?: NodeJS.ErrnoException) => events.push(error?.code ? `${name}:${error.code}` : name));
    const streamClosed = new Promise<void>((resolve) => stream.once('close', resolve));
    if (when === 'next turn') await tick();
    if (when === 'first chunk') await new Promise((resolve) => stream.once('data', resolve).once('error', resolve));
    await fh.close();
    closed = true;
    const fdAfterClose = fh.fd;
    const other = await open(B, 'r');
    const sameNumber = other.fd === fd;
    for (let i = 0; i < 4; i++) await other.read(Buffer.alloc(65536), 0, 65536, i * 65536);
    await streamClosed;
    await other.close();
    if (sameNumber) reusedNumbers++;
    return { bytesOfB, chunksAfterClose, events: events.join(','), fdAfterClose };
  }

  for (const maker of Object.keys(makers) as StreamMaker[]) {
    it(`${maker}: 40 closes per timing, the next file on the same number is never read by the old stream`, async () => {
      const summaries: Record<string, Record<string, number>> = {};
      const reused: Record<string, number> = {};
      for (const [label, open] of IMPLS) {
        reusedNumbers = 0;
        const counts: Record<string, number> = {};
        for (const when of ['at once', 'next turn', 'first chunk'] as const) {
          for (let i = 0; i < 40; i++) {
            const key = `${when}: ${JSON.stringify(await trial(open, maker, when))}`;
            counts[key] = (counts[key] ?? 0) + 1;
          }
        }
        // Not in the page cache: the stream's reads are in the kernel (direct I/O) when the handle closes.
        const cold = Array.from({ length: 12 }, () => fileWith(Buffer.alloc(4 << 20, 0x41), 'own-cold'));
        evictFromPageCache(cold);
        for (const file of cold) {
          const key = `cold, first chunk: ${JSON.stringify(await trial(open, maker, 'first chunk', file))}`;
          counts[key] = (counts[key] ?? 0) + 1;
        }
        summaries[label] = counts;
        reused[label] = reusedNumbers;
      }
      console.log(
        `ownership, ${maker}: descriptor number reused in ${JSON.stringify(reused)} of 132 trials each`,
        JSON.stringify(summaries, null, 1),
      );
      expect(reused.aiofs, 'trials where the next file took the closed number').toBeGreaterThan(120);
      expect(summaries.aiofs).toEqual(summaries.node);
      for (const key of Object.keys(summaries.aiofs)) expect(key).toContain('"bytesOfB":0');
      expect((aiofs.contextStats() as { inFlight: number }).inFlight).toBe(0);
    });
  }

  it('a stream over a descriptor number, destroyed mid-read: the next file on that number is neither read nor moved', async () => {
    // B's 4 KiB blocks are numbered, so a read at a wrong file position shows.
    const numbered = Buffer.alloc(1 << 20);
    for (let i = 0; i < numbered.length; i += 4096) numbered.fill(((i >> 12) % 200) + 50, i, i + 4096);
    const next = fileWith(numbered, 'own-numbered');
    const summaries: Record<string, Record<string, number>> = {};
    const reusedCount: Record<string, number> = {};
    for (const [label, m] of [
      ['node', fs],
      ['aiofs', aiofs],
    ] as const) {
      const cold = Array.from({ length: 10 }, () => fileWith(Buffer.alloc(4 << 20, 0x41), 'own-fd'));
      evictFromPageCache(cold);
      const counts: Record<string, number> = {};
      for (const [i, file] of [...cold, ...cold.slice(0, 10)].entries()) {
        const fd = fs.openSync(file, 'r');
        const stream = (m as any).createReadStream(null, { fd, highWaterMark: 65536 });
        let foreign = 0;
        let chunksAfterClose = 0;
        let closed = false;
        stream.on('data', (chunk: Buffer) => {
          if (closed) chunksAfterClose++;
          if (chunk.some((byte) => byte !== 0x41)) foreign++;
        });
        await new Promise((resolve) => stream.once('data', resolve));
        stream.destroy();
        await new Promise((resolve) => stream.once('close', resolve));
        closed = true;
        const reused = fs.openSync(next, 'r');
        let misplaced = 0;
        const block = Buffer.alloc(4096);
        for (let b = 0; b < 64; b++) {
          fs.readSync(reused, block, 0, 4096, null);
          if (block[0] !== (b % 200) + 50) misplaced++;
          await tick();
        }
        fs.closeSync(reused);
        if (reused === fd) reusedCount[label] = (reusedCount[label] ?? 0) + 1;
        const key = `${i < 10 ? 'cold' : 'warm'}: ${JSON.stringify({ foreign, chunksAfterClose, misplaced })}`;
        counts[key] = (counts[key] ?? 0) + 1;
      }
      summaries[label] = counts;
    }
    console.log(
      `ownership, descriptor numbers: reused in ${JSON.stringify(reusedCount)} of 20 trials each`,
      JSON.stringify(summaries, null, 1),
    );
    expect(summaries.aiofs).toEqual(summaries.node);
    expect(reusedCount.aiofs, 'trials where the next file took the closed number').toBeGreaterThan(17);
    for (const key of Object.keys(summaries.aiofs)) expect(key).toMatch(/"foreign":0,"chunksAfterClose":0,"misplaced":0/);
  });

  it('after close resolves: fd is -1 and every method fails as node fails', async () => {
    const shapes: Record<string, unknown>[] = [];
    for (const [, open] of IMPLS) {
      const file = fileWith('closed handle');
      const fh = await open(file, 'r+');
      await fh.close();
      const seen: Record<string, unknown> = { fd: fh.fd };
      for (const [name, args] of Object.entries(AFTER_CLOSE_ARGS)) {
        seen[name] = await outcome(() => (fh as any)[name](...args), file);
      }
      seen.asyncDispose = await outcome(() => (fh as any)[Symbol.asyncDispose](), file);
      seen.closeAgain = await outcome(() => fh.close(), file);
      shapes.push(seen);
    }
    expect(shapes[1]).toEqual(shapes[0]);
    expect(shapes[1].fd).toBe(-1);
  });

  it('close() waits for 32 reads and 32 writes in flight: same outcomes as node, close settles last', async () => {
    const results: unknown[] = [];
    const original = randomBytes(1 << 20);
    for (const [, open] of IMPLS) {
      const file = fileWith(original);
      const fh = await open(file, 'r+');
      const order: string[] = [];
      const operations: Promise<unknown>[] = [];
      const settle = (label: string, promise: Promise<any>, view: (value: any) => unknown) =>
        promise.then(
          (value) => (order.push(label), view(value)),
          (error) => (order.push(label), errorShape(error, file)),
        );
      for (let i = 0; i < 32; i++) {
        operations.push(
          settle(`read ${i}`, fh.read(Buffer.alloc(4096), 0, 4096, i * 8192), (r) => sha(r.buffer.subarray(0, r.bytesRead))),
        );
        operations.push(
          settle(`write ${i}`, fh.write(Buffer.alloc(4096, i + 1), 0, 4096, i * 8192 + 4096), (r) => r.bytesWritten),
        );
      }
      operations.push(settle('read at position', fh.read(Buffer.alloc(10), 0, 10, null), (r) => r.bytesRead));
      // At an offset of its own: a writev at the file position (null) races node's own read(null) in its
      // threadpool, landing at 0 or 10 (1 run in 100 at 0 here), so node's outcome would not be one.
      operations.push(settle('writev', fh.writev([Buffer.alloc(10, 9)], (1 << 20) - 10), (r) => r.bytesWritten));
      operations.push(settle('sync', fh.sync(), (r) => r));
      operations.push(settle('datasync', fh.datasync(), (r) => r));
      operations.push(settle('readFile', fh.readFile(), (r) => r.length));
      const closing = fh.close().then(() => order.push('close'));
      // Calls made after close() but before it resolves: node still serves them (the fd is not -1 yet).
      const late = await Promise.all([
        outcome(() => fh.read(Buffer.alloc(1), 0, 1, 0).then((r) => r.bytesRead), file),
        outcome(() => fh.stat().then((s) => s.size), file),
      ]);
      const settled = await Promise.all(operations);
      await closing;
      // The descriptor number is free now: whatever opens next must not receive a late request.
      const next = await open(fileWith('next'), 'r');
      await next.close();
      results.push({
        settled,
        late,
        closeLast: order[order.length - 1] === 'close',
        fd: fh.fd,
        file: sha(fs.readFileSync(file)),
      });
    }
    expect(results[1]).toEqual(results[0]);
    expect((results[1] as { closeLast: boolean }).closeLast).toBe(true);
  });
});

/** Arguments each method is called with on a closed handle (the walk below checks the list is complete). */
const AFTER_CLOSE_ARGS: Record<string, unknown[]> = {
  appendFile: ['x'],
  chmod: [0o644],
  chown: [0, 0],
  createReadStream: [],
  createWriteStream: [],
  datasync: [],
  read: [Buffer.alloc(4), 0, 4, 0],
  readv: [[Buffer.alloc(4)], 0],
  readFile: [],
  readLines: [],
  readableWebStream: [],
  stat: [],
  sync: [],
  truncate: [1],
  utimes: [1, 2],
  write: [Buffer.from('xy'), 0, 2, 0],
  writev: [[Buffer.from('xy')], 0],
  writeFile: ['x'],
};

describe('every FileHandle method', () => {
  const CONTENT = Array.from({ length: 2000 }, (_, i) => `line ${i} ${'abcdefghij'.repeat(i % 23)}`).join('\n') + '\n';
  const isRoot = process.getuid?.() === 0;

  /** The deterministic part of a Stats object. */
  const statShape = (s: fs.Stats) => ({
    size: s.size,
    mode: s.mode,
    uid: s.uid,
    gid: s.gid,
    nlink: s.nlink,
    isFile: s.isFile(),
    blocksKnown: typeof s.blocks === 'number',
  });
  const contents = (file: string) => fs.readFileSync(file, 'latin1');

  async function drain(stream: NodeJS.ReadableStream | ReadableStream): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Uint8Array | string>) chunks.push(Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks);
  }

  /**
   * Per method: what to call on an open handle (opened 'r+' on a file holding CONTENT) and what to keep
   * of the result and the file afterwards. A method of node's FileHandle without a recipe fails the walk.
   */
  const RECIPES: Record<string, (fh: any, file: string) => Promise<unknown>> = {
    getAsyncId: async (fh) => typeof fh.getAsyncId(),
    fd: async (fh) => typeof fh.fd === 'number' && fh.fd > 2,
    appendFile: async (fh, file) => (await fh.appendFile('appended', 'utf8'), contents(file).slice(-40)),
    chmod: async (fh) => (await fh.chmod(0o640), (await fh.stat()).mode),
    chown: async (fh) => {
      if (!isRoot) return 'not root';
      await fh.chown(1234, 4321);
      const s = await fh.stat();
      return [s.uid, s.gid];
    },
    datasync: async (fh) => fh.datasync(),
    sync: async (fh) => fh.sync(),
    read: async (fh) => {
      const a = await fh.read(Buffer.alloc(100), 3, 50, 7);
      const b = await fh.read();
      const c = await fh.read({ buffer: Buffer.alloc(20), position: 5 });
      return [a.bytesRead, a.buffer.toString('latin1'), b.bytesRead, sha(b.buffer), c.bytesRead, c.buffer.toString('latin1')];
    },
    readv: async (fh) => {
      const r = await fh.readv([Buffer.alloc(7), Buffer.alloc(9000)], 11);
      return [r.bytesRead, r.buffers.map((b: Buffer) => sha(b))];
    },
    readFile: async (fh) => sha(Buffer.from(await fh.readFile('utf8'))),
    readLines: async (fh) => {
      const lines: string[] = [];
      for await (const line of fh.readLines()) lines.push(line);
      return [lines.length, sha(Buffer.from(lines.join('\n')))];
    },
    readableWebStream: async (fh) => sha(await drain(fh.readableWebStream())),
    stat: async (fh) => statShape(await fh.stat()),
    truncate: async (fh, file) => (await fh.truncate(17), contents(file)),
    utimes: async (fh) => {
      await fh.utimes(1_000_000, new Date(2_000_000_000));
      const s = await fh.stat();
      return [s.atimeMs, s.mtimeMs];
    },
    write: async (fh, file) => {
      const a = await fh.write(Buffer.from('WRITE'), 1, 3, 10);
      const b = await fh.write('string write', 100, 'latin1');
      const c = await fh.write(Buffer.from('at position'));
      return [a.bytesWritten, b.bytesWritten, c.bytesWritten, sha(fs.readFileSync(file))];
    },
    writev: async (fh, file) => {
      const r = await fh.writev([Buffer.from('one'), Buffer.from('two')], 50);
      const s = await fh.writev([Buffer.from('three')]);
      return [r.bytesWritten, s.bytesWritten, sha(fs.readFileSync(file))];
    },
    writeFile: async (fh, file) => (await fh.writeFile('replaced', { encoding: 'utf8' }), sha(fs.readFileSync(file))),
    createReadStream: async (fh) => {
      const stream = fh.createReadStream({ start: 5, end: 40000 });
      const bytes = await drain(stream);
      return [sha(bytes), stream.bytesRead, fh.fd];
    },
    createWriteStream: async (fh, file) => {
      const stream = fh.createWriteStream({ start: 4 });
      const finished = new Promise((resolve) => stream.once('close', resolve));
      stream.write('written by a stream');
      stream.end('!');
      await finished;
      return [stream.bytesWritten, sha(fs.readFileSync(file)), fh.fd];
    },
    close: async (fh) => [await fh.close(), fh.fd],
    [String(Symbol.asyncDispose)]: async (fh) => [await fh[Symbol.asyncDispose](), fh.fd],
  };
  /**
   * The constructor, and node-internal members (its module-private kSymbols: kRef, kUnref, Node 24's
   * kCloseSync...; worker transfer hooks): not called directly.
   */
  const NOT_CALLED = /^(constructor|Symbol\((k[A-Z]\w*|messaging_.*)\))$/;

  it("covers every method of node's FileHandle, with the same results and effects", async () => {
    const nodeHandle = await fsp.open(fileWith('x'), 'r');
    const prototype = Object.getPrototypeOf(nodeHandle);
    const members = [
      ...Object.getOwnPropertyNames(prototype),
      ...Object.getOwnPropertySymbols(prototype).map(String),
      ...Object.getOwnPropertyNames(nodeHandle).filter((name) => typeof (nodeHandle as any)[name] === 'function'),
    ].filter((name) => !NOT_CALLED.test(name));
    await nodeHandle.close();
    const missing = members.filter((name) => !(name in RECIPES));
    expect(missing, 'FileHandle members this test has no recipe for').toEqual([]);

    const differences: string[] = [];
    const results: Record<string, unknown> = {};
    for (const member of members) {
      const seen: unknown[] = [];
      for (const [, open] of IMPLS) {
        const file = fileWith(CONTENT);
        const fh = await open(file, 'r+');
        seen.push(await outcome(() => RECIPES[member](fh, file), file));
        if (fh.fd !== -1) await fh.close();
      }
      results[member] = seen[0];
      if (JSON.stringify(seen[0]) !== JSON.stringify(seen[1]))
        differences.push(`${member}: node ${JSON.stringify(seen[0])}, aiofs ${JSON.stringify(seen[1])}`);
    }
    if (!isRoot) console.log("chown: skipped (not root: changing a file's owner needs CAP_CHOWN)");
    console.log('FileHandle methods compared:', members.join(', '));
    expect(differences).toEqual([]);
  });

  it("own properties and prototype chain: node's, and node recognises the handle as its own", async () => {
    const shapes = [];
    for (const [, open] of IMPLS) {
      const fh = await open(fileWith('x'), 'r');
      const nodeClass = (await fsp.open(fileWith('y'), 'r')) as any;
      shapes.push({
        constructorName: fh.constructor.name,
        instanceOfNodeClass: fh instanceof nodeClass.constructor,
        ownFunctions: Object.getOwnPropertyNames(fh)
          .filter((name) => typeof (fh as any)[name] === 'function')
          .sort(),
        ownSymbols: Object.getOwnPropertySymbols(fh).map(String).sort(),
        eventEmitter: typeof (fh as any).on === 'function',
        asyncIdIsNumber: Number.isInteger((fh as any).getAsyncId()),
      });
      await nodeClass.close();
      await fh.close();
    }
    expect(shapes[1]).toEqual(shapes[0]);
  });

  it('`await using` closes the handle at the end of the block (where this Node has the syntax)', () => {
    const file = fileWith('disposed');
    const script = (module: string) => `
      const fsp = await import(${JSON.stringify(module)});
      let kept;
      { await using fh = await fsp.open(${JSON.stringify(file)}, 'r'); kept = fh; console.log('inside', fh.fd > 2); }
      console.log('after', kept.fd);
      try { await kept.read(Buffer.alloc(1), 0, 1, 0); } catch (e) { console.log('read', e.code, e.message); }`;
    const runs = ['node:fs/promises', 'aiofs/promises'].map((module) =>
      spawnSync(process.execPath, ['--input-type=module', '-e', script(module)], { cwd: repo, encoding: 'utf8' }),
    );
    if (runs[0].status !== 0 && /SyntaxError/.test(runs[0].stderr)) {
      console.log(`await using: skipped, Node ${process.version} has no explicit resource management syntax`);
      expect(runs[1].stderr).toMatch(/SyntaxError/);
      return;
    }
    expect(runs[0].stderr).toBe('');
    expect({ status: runs[1].status, stdout: runs[1].stdout, stderr: runs[1].stderr }).toEqual({
      status: runs[0].status,
      stdout: runs[0].stdout,
      stderr: runs[0].stderr,
    });
  });
});

describe("node APIs that take a FileHandle accept aiofs's", () => {
  const PAYLOAD = randomBytes(3 << 20);
  const FILE = fileWith(PAYLOAD, 'payload');

  it("fs.createReadStream(path, { fd: aiofsHandle }) reads the same bytes, events and properties as with node's handle", async () => {
    const seen = [];
    for (const [, open] of IMPLS) {
      const fh = await open(FILE, 'r');
      const before = aioActivity(aiofs.contextStats());
      const stream = fs.createReadStream('ignored', { fd: fh, start: 100, end: 2_000_000 });
      const events: string[] = [];
      for (const name of ['open', 'ready', 'end', 'close', 'error']) stream.on(name, () => events.push(name));
      const chunks: Buffer[] = [];
      // No encoding is set, so every chunk is a Buffer (fs.ReadStream's type allows a string too).
      stream.on('data', (chunk: Buffer | string) => chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
      await new Promise<void>((resolve) => stream.once('close', resolve));
      seen.push({
        sha: sha(Buffer.concat(chunks)),
        events,
        bytesRead: stream.bytesRead,
        pos: (stream as any).pos,
        fdAfter: fh.fd,
        throughAio: aioActivity(aiofs.contextStats()) > before,
      });
    }
    expect({ ...seen[1], throughAio: undefined }).toEqual({ ...seen[0], throughAio: undefined });
    expect(seen[0].sha).toBe(sha(PAYLOAD.subarray(100, 2_000_001)));
  });

  it("http2 respondWithFD(aiofsHandle) serves the file's bytes", async () => {
    const served: string[] = [];
    for (const [, open] of IMPLS) {
      const server = http2.createServer();
      server.on('stream', (stream) => {
        void open(FILE, 'r').then((fh) => {
          stream.on('close', () => void fh.close());
          stream.respondWithFD(fh as any, { 'content-type': 'application/octet-stream' });
        });
      });
      await new Promise<void>((resolve) => server.listen(0, resolve));
      const client = http2.connect(`http://localhost:${(server.address() as { port: number }).port}`);
      const request = client.request({ ':path': '/' });
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      await new Promise((resolve, reject) => request.on('end', resolve).on('error', reject));
      client.close();
      await new Promise((resolve) => server.close(resolve));
      served.push(createHash('sha256').update(Buffer.concat(chunks)).digest('hex'));
    }
    expect(served[1]).toBe(served[0]);
    expect(served[0]).toBe(createHash('sha256').update(PAYLOAD).digest('hex'));
  });

  const WORKER = `
    const { parentPort } = require('node:worker_threads');
    parentPort.on('message', async (fh) => {
      try {
        const text = await fh.readFile('latin1');
        const kind = fh.constructor.name;
        await fh.close();
        parentPort.postMessage({ length: text.length, head: text.slice(0, 12), kind });
      } catch (error) { parentPort.postMessage({ error: error.code + ' ' + error.message }); }
    });`;

  it("worker postMessage(fh, [fh]): the sender's handle is spent, the worker reads the file, nothing stays open", async () => {
    const file = fileWith('hello worker ' + 'w'.repeat(100_000));
    const seen = [];
    for (const [, open] of IMPLS) {
      const fh = await open(file, 'r');
      await fh.read(Buffer.alloc(16), 0, 16, 0); // used once, so any lazily opened descriptor exists
      const worker = new Worker(WORKER, { eval: true });
      const reply = new Promise((resolve) => worker.once('message', resolve));
      worker.postMessage(fh, [fh as any]);
      const senderFd = fh.fd;
      const received = await reply;
      await worker.terminate();
      const afterRead = await outcome(() => fh.read(Buffer.alloc(1), 0, 1, 0), file);
      const afterClose = await outcome(() => fh.close(), file);
      seen.push({ senderFd, received, afterRead, afterClose, leftOpen: descriptorsUnder(file) });
    }
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[1].leftOpen).toEqual([]);
  });

  it("a handle with an operation in progress refuses transfer, as node's does, and stays usable", async () => {
    const file = fileWith('busy '.repeat(1000));
    const seen = [];
    for (const [, open] of IMPLS) {
      const fh = await open(file, 'r');
      const worker = new Worker(WORKER, { eval: true });
      const reading = fh.read(Buffer.alloc(10), 0, 10, 0);
      const transfer = await outcome(() => worker.postMessage(fh, [fh as any]));
      const read = await reading;
      const readAgain = await fh.read(Buffer.alloc(4), 0, 4, 1);
      await worker.terminate();
      await fh.close();
      seen.push({
        transfer,
        read: read.buffer.toString(),
        readAgain: readAgain.buffer.toString(),
        fd: fh.fd,
        leftOpen: descriptorsUnder(file),
      });
    }
    expect(seen[1]).toEqual(seen[0]);
  });
});

describe('open(): failures and odd flags', () => {
  it("a directory opened with 'r' works on the node-fs backend (with a reason) and closes", async () => {
    const dir = fs.mkdtempSync(path.join(root, 'dir-'));
    const seen = [];
    for (const [label, open] of IMPLS) {
      const before = descriptorCount();
      const fh = await open(dir, 'r');
      if (label === 'aiofs') {
        const backend = (fh as any).backend;
        expect(backend.name).toBe('node-fs');
        expect(backend.reason).toMatch(/\w/);
      }
      const stat = await fh.stat();
      const read = await outcome(() => fh.read(Buffer.alloc(4), 0, 4, 0), dir);
      const readFile = await outcome(() => fh.readFile(), dir);
      await fh.close();
      seen.push({ isDirectory: stat.isDirectory(), read, readFile, fd: fh.fd, descriptorsLeft: descriptorCount() - before });
    }
    expect(seen[1]).toEqual(seen[0]);
  });

  it("flags that fail, or that open a descriptor aiofs cannot read through, fail as node's and leave nothing open", async () => {
    const dir = fs.mkdtempSync(path.join(root, 'flags-'));
    const existing = fileWith('exists');
    const O_PATH = 0o10000000;
    const cases: [string, () => [string, string | number]][] = [
      ['directory r+', () => [dir, 'r+']],
      ['directory w', () => [dir, 'w']],
      ['missing r', () => [path.join(dir, 'missing'), 'r']],
      ['wx on an existing file', () => [existing, 'wx']],
      ['O_DIRECT on a regular file', () => [existing, fs.constants.O_RDONLY | fs.constants.O_DIRECT]],
      ['O_DIRECT on a directory', () => [dir, fs.constants.O_RDONLY | fs.constants.O_DIRECT]],
      ['O_PATH on a regular file', () => [existing, fs.constants.O_RDONLY | O_PATH]],
      ['write-only file', () => [existing, 'a']],
    ];
    if (fs.existsSync('/dev/shm'))
      cases.push([
        'O_DIRECT on tmpfs',
        () => [
          fs.mkdtempSync('/dev/shm/aiofs-dropin-') + '/f',
          fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_DIRECT,
        ],
      ]);
    const differences: string[] = [];
    for (const [name, make] of cases) {
      const seen = [];
      for (const [, open] of IMPLS) {
        const [file, flags] = make();
        const before = descriptorCount();
        const opened = await outcome(() => open(file, flags));
        const fh = (opened.resolved ?? null) as fsp.FileHandle | null;
        const uses: Record<string, unknown> = {};
        if (fh !== null) {
          uses.read = await outcome(() => fh.read(Buffer.alloc(4), 0, 4, 0).then((r) => r.bytesRead), file);
          uses.readFile = await outcome(() => fh.readFile().then((b) => (Buffer.isBuffer(b) ? `${b.length} bytes` : b)), file);
          uses.write = await outcome(() => fh.write(Buffer.from('zz'), 0, 2, 0).then((r) => r.bytesWritten), file);
          uses.close = await outcome(() => fh.close(), file);
        }
        if (file.startsWith('/dev/shm/')) fs.rmSync(path.dirname(file), { recursive: true, force: true });
        seen.push({ opened: fh === null ? opened : 'a handle', uses, descriptorsLeft: descriptorCount() - before });
      }
      if (JSON.stringify(seen[0]) !== JSON.stringify(seen[1]))
        differences.push(`${name}:\n  node  ${JSON.stringify(seen[0])}\n  aiofs ${JSON.stringify(seen[1])}`);
    }
    if (differences.length > 0) console.log(differences.join('\n'));
    expect(differences).toEqual([]);
  });

  it('contextStats() answers before any I/O in a fresh process', () => {
    const child = spawnSync(
      process.execPath,
      [
        '-e',
        "const a = require('aiofs'); const s = a.contextStats(); console.log(JSON.stringify({ s, backend: a.backend.name }))",
      ],
      { cwd: repo, encoding: 'utf8' },
    );
    expect(child.stderr).toBe('');
    const { s, backend } = JSON.parse(child.stdout.trim()) as { s: Record<string, number> | null; backend: string };
    expect(backend).toBe('kernel-aio');
    expect(s).not.toBeNull();
    expect(s!.submitted).toBe(0);
    expect(s!.inFlight).toBe(0);
    expect(s!.capacity).toBeGreaterThan(0);
  });
});
