/**
 * aiofs's createReadStream under real consumers, compared with node:fs where behaviour (not only the
 * bytes) is at stake: stream.pipeline() into sha256 and through gzip/gunzip, an HTTP server read by
 * http.get and by fetch (whole file and ranges), `for await`, an AbortSignal and destroy() mid-stream
 * (descriptors counted in /proc/self/fd), a slow pause/resume consumer on a 64 MiB+ file, special files
 * (a FIFO, /dev/zero, /proc/self/status), tmpfs and the 4096-byte-sector loop filesystem, a short chunk
 * that must not pin a large buffer, and RSS under a slow consumer of a 1 GiB sparse file (a fixture,
 * test/fixtures/read-stream-rss.mjs, in a fresh process).
 *
 * Needs a fresh dist/ (`npx tsc -p .`) and the native addon. AIOFS_STREAM_IMPL=node-fs runs the aiofs
 * side on node:fs itself (a harness check; the RSS fixture still loads aiofs unless told `fs`).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import * as index from '../dist/index.js';
import * as promises from '../dist/promises.js';
import { normalizeError, Rng } from './support/differential';
import { describeFilesystems, useFilesystems } from './support/filesystems';
import { nodeStreams, streamsUnderTest, type StreamApi } from './support/read-stream-differential';
import { runFixture } from './support/run-fixture';
import { evictFromPageCache } from './support/page-cache.mjs';

const KiB = 1024;
const MiB = 1024 * 1024;

const filesystems = await useFilesystems('rs-consumers');
const disk = filesystems.find((f) => f.name === 'disk')!;
const { api: aiofsApi, problem } = streamsUnderTest(index, promises);
console.log(
  `[read-stream consumers] implementation under test: ${aiofsApi?.label ?? `NONE: ${problem}`}\n${describeFilesystems(filesystems)}`,
);
const noImpl = aiofsApi === undefined ? `no aiofs createReadStream: ${problem}` : undefined;
const aiofs: StreamApi = aiofsApi ?? nodeStreams;
const impls: readonly StreamApi[] = [nodeStreams, aiofs];

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** Deterministic pseudo-random bytes. */
function randomBytes(seed: number, length: number): Buffer {
  const rng = new Rng(seed);
  const out = Buffer.allocUnsafe(length);
  let i = 0;
  for (; i + 4 <= length; i += 4) out.writeUInt32LE(rng.u32(), i);
  for (; i < length; i++) out[i] = rng.int(0, 255);
  return out;
}

/** Open descriptors of this process. */
function fdCount(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

/**
 * Waits (up to 2 s) for the descriptor count to come back to `baseline` (or below: sockets of earlier
 * tests may still be closing); returns whether it did.
 */
async function fdsBackTo(baseline: number): Promise<boolean> {
  for (let i = 0; i < 200 && fdCount() > baseline; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  return fdCount() <= baseline;
}

/** Whether `fd` (a number from 'open') is still open on `file` (same dev and inode). */
function stillOpenOn(fd: unknown, file: string): boolean {
  if (typeof fd !== 'number') return false;
  try {
    const a = fs.fstatSync(fd);
    const b = fs.statSync(file);
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false;
  }
}

/** A Writable that hashes (and optionally keeps) what it is given. */
class HashSink extends Writable {
  readonly #hash = createHash('sha256');
  readonly kept: Buffer[] = [];
  bytes = 0;

  constructor(private readonly keep = false) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#hash.update(chunk);
    this.bytes += chunk.length;
    if (this.keep) this.kept.push(chunk);
    callback();
  }

  digest(): string {
    return this.#hash.digest('hex');
  }
}

const hashSink = (keep = false) => new HashSink(keep);

interface Observed {
  events: string[];
  /** The argument of 'open'. */
  fd?: unknown;
  error?: unknown;
  content: Buffer | string;
  bytesRead: unknown;
}

/** Consumes a stream in flowing mode; records events (consecutive 'data' collapsed) and content. */
function observe(
  stream: Readable,
  onData?: (chunk: Buffer | string, total: number) => void,
  paths: string[] = [],
): Promise<Observed> {
  return new Promise((resolve) => {
    const events: string[] = [];
    const chunks: (Buffer | string)[] = [];
    let total = 0;
    let error: unknown;
    let openFd: unknown;
    stream.once('open', (fd: unknown) => {
      openFd = fd;
    });
    const push = (name: string) => {
      if (events[events.length - 1] !== name) events.push(name);
    };
    for (const name of ['open', 'ready', 'end']) stream.on(name, () => push(name));
    stream.on('error', (e) => {
      push('error');
      error = normalizeError(e, paths);
    });
    stream.on('data', (chunk: Buffer | string) => {
      push('data');
      chunks.push(chunk);
      total += chunk.length;
      onData?.(chunk, total);
    });
    const finish = () => {
      const content =
        chunks.length > 0 && typeof chunks[0] === 'string' ? (chunks as string[]).join('') : Buffer.concat(chunks as Buffer[]);
      resolve({ events, fd: openFd, error, content, bytesRead: (stream as Readable & { bytesRead?: unknown }).bytesRead });
    };
    stream.on('close', () => {
      push('close');
      setImmediate(finish);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

const BIG_SIZE = 12 * MiB + 4097 + 5; // multi-MiB, not a multiple of any block size
let bigFile = '';
let bigContent: Buffer = Buffer.alloc(0);

const HUGE_SIZE = 64 * MiB + 65536 + 4097 + 3;
let hugeFile = '';
let hugeSha = '';

beforeAll(async () => {
  if (noImpl) return;
  bigContent = randomBytes(0xc0ffee, BIG_SIZE);
  bigFile = path.join(disk.dir, 'big.bin');
  await fs.promises.writeFile(bigFile, bigContent);
  // Warm aiofs up (its AIO context and any descriptors it keeps for the process), so descriptor
  // counts taken afterwards only see what each stream opens.
  await pipeline(aiofs.createReadStream(bigFile, { end: 2 * MiB }), hashSink());
  await pipeline(aiofs.createReadStream(bigFile, { end: 2 * MiB, cache: 'bypass' }), hashSink());
});

afterAll(async () => {
  if (bigFile) await fs.promises.rm(bigFile, { force: true });
  if (hugeFile) await fs.promises.rm(hugeFile, { force: true });
});

const RANGES: readonly { start?: number; end?: number }[] = [
  {},
  { start: 0, end: 0 },
  { start: 1, end: 4094 },
  { start: 511, end: 2 * MiB + 3 },
  { start: 4095, end: 4097 },
  { start: 65535, end: 5 * MiB + 1 },
  { start: BIG_SIZE - 5, end: BIG_SIZE + 100 },
  { start: 3 * MiB + 17 },
  { end: MiB - 1 },
];

const slice = (content: Buffer, r: { start?: number; end?: number }) =>
  content.subarray(r.start ?? 0, r.end === undefined ? undefined : r.end + 1);

if (noImpl) {
  it(`aiofs createReadStream is available [FAILS: ${noImpl}]`, () => {
    expect(noImpl).toBeUndefined();
  });
}

// ---------------------------------------------------------------------------------------------
// pipeline(), zlib, for await
// ---------------------------------------------------------------------------------------------

describe.skipIf(noImpl !== undefined)('consumers on a 12 MiB file of random bytes (disk)', () => {
  it('pipeline() into a sha256 hash: whole file and ranges', async () => {
    for (const range of RANGES) {
      for (const options of [
        {},
        { highWaterMark: 4097 },
        { readAhead: 8, cache: 'bypass' as const },
        { cache: 'auto' as const, readAhead: 1 },
      ]) {
        const sink = hashSink();
        await pipeline(aiofs.createReadStream(bigFile, { ...range, ...options }), sink);
        expect(sink.digest(), `range ${JSON.stringify(range)} options ${JSON.stringify(options)}`).toBe(
          sha256(slice(bigContent, range)),
        );
      }
    }
  });

  it('pipeline() through zlib gzip and gunzip gives the same bytes', async () => {
    for (const range of [{}, { start: 12345, end: 7 * MiB + 3 }]) {
      const sink = hashSink(true);
      await pipeline(aiofs.createReadStream(bigFile, range), zlib.createGzip({ level: 1 }), zlib.createGunzip(), sink);
      const expected = slice(bigContent, range);
      expect(sink.bytes).toBe(expected.length);
      expect(Buffer.concat(sink.kept).equals(expected)).toBe(true);
    }
  });

  it("cache 'auto' on a file that is not cached reads it with direct I/O and leaves the page cache alone", async () => {
    const { loaded } = await import('../dist/binding.js');
    const file = path.join(disk.dir, 'uncached.bin');
    await promises.writeFile(file, bigContent);
    evictFromPageCache(file); // so the file's pages are not in the cache
    const fd = fs.openSync(file, 'r');
    try {
      const cachedMiB = () =>
        Array.from({ length: BIG_SIZE / MiB }, (_, i) => loaded.binding?.cacheState(fd, i * MiB, MiB) ?? -1).filter(
          (r) => r >= 0 && (r & 1) === 1,
        ).length;
      const probe = loaded.binding?.cacheState(fd, 0, MiB) ?? -1;
      if (aiofs.standIn || probe < 0 || index.backend.name !== 'kernel-aio') {
        console.log(
          `[read-stream consumers] page-cache check skipped: ${aiofs.standIn ? 'node:fs stand-in' : probe < 0 ? `cachestat(2) unavailable (${probe})` : index.backend.reason}`,
        );
        expect(sha256(fs.readFileSync(file))).toBe(sha256(bigContent));
        return;
      }
      expect(cachedMiB()).toBe(0);
      const sink = hashSink();
      await pipeline(aiofs.createReadStream(file, { cache: 'auto' }), sink);
      expect(sink.digest()).toBe(sha256(bigContent));
      // A RWF_NOWAIT probe that misses starts kernel readahead, which would read the same bytes into the
      // cache a second time; aiofs asks cachestat(2) instead, so not one MiB of the file got cached.
      expect(cachedMiB()).toBe(0);
    } finally {
      fs.closeSync(fd);
    }
  });

  it("cache 'bypass' reads a dirty range from the page cache and the clean ranges after it by direct I/O", async () => {
    const { loaded } = await import('../dist/binding.js');
    const file = path.join(disk.dir, 'bypass-dirty.bin');
    await promises.writeFile(file, bigContent);
    evictFromPageCache(file);
    // The first MiB rewritten and not yet written back: dirty pages, which only the page cache holds.
    const expected = Buffer.from(bigContent);
    expected.fill(0x5a, 0, MiB);
    const fd = fs.openSync(file, 'r+');
    try {
      fs.writeSync(fd, expected, 0, MiB, 0);
      const cachedMiB = () =>
        Array.from({ length: Math.ceil(BIG_SIZE / MiB) }, (_, i) => loaded.binding?.cacheState(fd, i * MiB, MiB) ?? -1).filter(
          (r) => r >= 0 && (r & 1) === 1,
        ).length;
      const probe = loaded.binding?.cacheState(fd, 0, MiB) ?? -1;
      if (aiofs.standIn || probe < 0 || index.backend.name !== 'kernel-aio') {
        console.log(
          `[read-stream consumers] bypass check skipped: ${aiofs.standIn ? 'node:fs stand-in' : probe < 0 ? `cachestat(2) unavailable (${probe})` : index.backend.reason}`,
        );
        expect(sha256(fs.readFileSync(file))).toBe(sha256(expected));
        return;
      }
      expect(cachedMiB()).toBe(1);
      const sink = hashSink();
      await pipeline(aiofs.createReadStream(file, { cache: 'bypass', readAhead: 1, chunkSize: MiB }), sink);
      expect(sink.digest()).toBe(sha256(expected));
      // After the dirty MiB (read from the cache) every read went by O_DIRECT, which caches nothing; a read
      // through the page cache (or a RWF_NOWAIT probe that missed: it starts readahead) would cache some.
      expect(cachedMiB()).toBe(1);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('for await (const chunk of stream): all bytes; breaking out closes the stream and its descriptor', async () => {
    const parts: Buffer[] = [];
    for await (const chunk of aiofs.createReadStream(bigFile, { start: 3, end: BIG_SIZE - 4 })) parts.push(chunk as Buffer);
    expect(Buffer.concat(parts).equals(bigContent.subarray(3, BIG_SIZE - 3))).toBe(true);

    const baseline = fdCount();
    const stream = aiofs.createReadStream(bigFile, { highWaterMark: 65536 });
    const closed = new Promise<void>((resolve) => stream.once('close', resolve));
    let seen = 0;
    for await (const chunk of stream) {
      seen += (chunk as Buffer).length;
      if (seen > 3 * MiB) break;
    }
    await closed;
    expect(stream.destroyed).toBe(true);
    expect(await fdsBackTo(baseline)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

describe.skipIf(noImpl !== undefined)('an HTTP server streaming the file (127.0.0.1, ephemeral port)', () => {
  let server: http.Server;
  let base = '';
  const serverErrors: string[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const impl = url.searchParams.get('impl') === 'fs' ? nodeStreams : aiofs;
      const range: { start?: number; end?: number } = {};
      if (url.searchParams.has('start')) range.start = Number(url.searchParams.get('start'));
      if (url.searchParams.has('end')) range.end = Number(url.searchParams.get('end'));
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      pipeline(impl.createReadStream(bigFile, range), res).catch((e: Error) => serverErrors.push(`${req.url}: ${e.message}`));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const query = (impl: string, r: { start?: number; end?: number }) =>
    `${base}/?impl=${impl}${r.start !== undefined ? `&start=${r.start}` : ''}${r.end !== undefined ? `&end=${r.end}` : ''}`;

  function httpGet(url: string): Promise<{ status?: number; sha: string; bytes: number }> {
    return new Promise((resolve, reject) => {
      http
        .get(url, (res) => {
          const sink = hashSink();
          pipeline(res, sink).then(() => resolve({ status: res.statusCode, sha: sink.digest(), bytes: sink.bytes }), reject);
        })
        .on('error', reject);
    });
  }

  it('http.get: whole file and ranges, sha256 equal to the file slice (and to node:fs serving it)', async () => {
    for (const range of RANGES) {
      const expected = slice(bigContent, range);
      const got = await httpGet(query('aiofs', range));
      const reference = await httpGet(query('fs', range));
      expect(got.status).toBe(200);
      expect({ bytes: got.bytes, sha: got.sha }, JSON.stringify(range)).toEqual({
        bytes: expected.length,
        sha: sha256(expected),
      });
      expect(reference.sha).toBe(got.sha);
    }
    expect(serverErrors).toEqual([]);
  });

  it('fetch(): whole file and ranges, sha256 equal to the file slice', async () => {
    for (const range of RANGES) {
      const expected = slice(bigContent, range);
      const res = await fetch(query('aiofs', range));
      expect(res.status).toBe(200);
      const body = Buffer.from(await res.arrayBuffer());
      expect({ bytes: body.length, sha: sha256(body) }, JSON.stringify(range)).toEqual({
        bytes: expected.length,
        sha: sha256(expected),
      });
    }
    expect(serverErrors).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Abort and destroy mid-stream
// ---------------------------------------------------------------------------------------------

describe.skipIf(noImpl !== undefined)('cutting a stream short', () => {
  it('an AbortSignal aborted mid-stream: AbortError, then close; descriptor closed; same as fs', async () => {
    const outcomes: Record<string, unknown> = {};
    for (const options of [{}, { readAhead: 16, cache: 'bypass' as const }]) {
      for (const impl of impls) {
        const baseline = fdCount();
        const controller = new AbortController();
        const stream = impl.createReadStream(bigFile, { signal: controller.signal, ...(impl === aiofs ? options : {}) });
        let abortedAt = -1;
        const seen = await observe(stream, (_chunk, total) => {
          if (abortedAt < 0 && total >= 3 * MiB) {
            abortedAt = total;
            controller.abort();
          }
        });
        outcomes[impl.label] = {
          events: seen.events,
          error: seen.error,
          fdClosed: !stillOpenOn(seen.fd, bigFile),
          fdsBackToBaseline: await fdsBackTo(baseline),
          abortedMidStream: abortedAt > 0 && abortedAt < BIG_SIZE,
        };
        expect(isPrefix(seen.content as Buffer, bigContent), `${impl.label}: content is a prefix of the file`).toBe(true);
      }
      const fsOutcome = outcomes[nodeStreams.label] as { error: { name: string; code: string } };
      expect(fsOutcome.error).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
      expect(outcomes[aiofs.label], `aiofs options ${JSON.stringify(options)}`).toEqual(outcomes[nodeStreams.label]);
      expect(outcomes[aiofs.label]).toMatchObject({
        events: ['open', 'ready', 'data', 'error', 'close'],
        fdClosed: true,
        fdsBackToBaseline: true,
        abortedMidStream: true,
      });
    }
  });

  it('destroy() mid-read (after data, right after open, before open): close fires, no error, descriptor closed', async () => {
    const when = ['after 5 chunks', "in 'open'", 'right after construction'] as const;
    for (const moment of when) {
      const variants: { readAhead?: number; cache?: 'bypass'; highWaterMark?: number }[] = [
        {},
        { readAhead: 16, cache: 'bypass', highWaterMark: 1 * MiB },
      ];
      for (const options of variants) {
        const outcomes: Record<string, unknown> = {};
        for (const impl of impls) {
          const baseline = fdCount();
          const stream = impl.createReadStream(bigFile, impl === aiofs ? options : { highWaterMark: options.highWaterMark });
          let chunks = 0;
          if (moment === "in 'open'") stream.once('open', () => stream.destroy());
          const seen = observe(stream, () => {
            if (++chunks === 5 && moment === 'after 5 chunks') stream.destroy();
          });
          if (moment === 'right after construction') stream.destroy();
          const result = await seen;
          outcomes[impl.label] = {
            events: result.events,
            error: result.error,
            fdClosed: !stillOpenOn(result.fd, bigFile),
            fdsBackToBaseline: await fdsBackTo(baseline),
          };
        }
        expect(outcomes[aiofs.label], `${moment}, aiofs options ${JSON.stringify(options)}`).toEqual(outcomes[nodeStreams.label]);
        expect(outcomes[aiofs.label]).toMatchObject({ error: undefined, fdClosed: true, fdsBackToBaseline: true });
        expect((outcomes[aiofs.label] as { events: string[] }).events.at(-1)).toBe('close');
      }
    }
  });

  it('autoClose: false: destroy() mid-read still closes the descriptor (as fs does); after end it stays open and usable', async () => {
    for (const options of [{}, { readAhead: 16, cache: 'bypass' as const }]) {
      for (const how of ['destroy() mid-read', 'read to the end'] as const) {
        const outcomes: Record<string, unknown> = {};
        for (const impl of impls) {
          const stream = impl.createReadStream(bigFile, {
            autoClose: false,
            highWaterMark: 65536,
            ...(impl === aiofs ? options : {}),
          }) as Readable & { fd: unknown };
          let bytes = 0;
          const result = observe(stream, (chunk) => {
            bytes += chunk.length;
            if (how === 'destroy() mid-read' && bytes > 2 * MiB && !stream.destroyed) stream.destroy();
          });
          // With autoClose false and no destroy(), fs emits no 'close': stop watching at 'end'.
          const ended = new Promise<void>((resolve) => stream.once('end', () => setTimeout(resolve, 20)));
          const seen = how === 'read to the end' ? await Promise.race([result, ended.then(() => undefined)]) : await result;
          const fd = seen?.fd ?? (stream as { fd: unknown }).fd;
          const open = stillOpenOn(fd, bigFile);
          // With the descriptor left open, the caller owns it: it must still read the file.
          let usable = false;
          if (open) {
            const probe = Buffer.alloc(16);
            usable = fs.readSync(fd as number, probe, 0, 16, 100) === 16 && probe.equals(bigContent.subarray(100, 116));
            fs.closeSync(fd as number);
          }
          outcomes[impl.label] = {
            events: seen?.events ?? 'no close',
            error: seen?.error,
            fdStillOpen: open,
            fdUsable: usable,
            fdProperty: typeof stream.fd,
          };
        }
        const label = `${how}, aiofs options ${JSON.stringify(options)}`;
        expect(outcomes[aiofs.label], label).toEqual(outcomes[nodeStreams.label]);
        expect(outcomes[aiofs.label], label).toMatchObject(
          how === 'read to the end'
            ? { fdStillOpen: true, fdUsable: true, fdProperty: 'number' }
            : { error: undefined, fdStillOpen: false },
        );
      }
    }
  });

  it('destroy() with many requests in flight, repeatedly: no error, no leaked descriptor, no crash', async () => {
    const baseline = fdCount();
    for (let i = 0; i < 40; i++) {
      const stream = aiofs.createReadStream(bigFile, { readAhead: 32, cache: 'bypass', start: (i * 12289) % MiB });
      const result = observe(stream, (_c, total) => {
        if (total > (i % 4) * 65536) stream.destroy();
      });
      if (i % 5 === 0) stream.once('open', () => stream.destroy());
      const seen = await result;
      expect(seen.error).toBeUndefined();
      expect(seen.events.at(-1)).toBe('close');
      expect(stillOpenOn(seen.fd, bigFile)).toBe(false);
    }
    expect(await fdsBackTo(baseline)).toBe(true);
  });
});

function isPrefix(part: Buffer, whole: Buffer): boolean {
  return part.length <= whole.length && whole.subarray(0, part.length).equals(part);
}

// ---------------------------------------------------------------------------------------------
// A slow consumer on a 64 MiB+ file
// ---------------------------------------------------------------------------------------------

describe.skipIf(noImpl !== undefined)('a slow consumer', () => {
  beforeAll(async () => {
    hugeFile = path.join(disk.dir, 'huge.bin');
    const hash = createHash('sha256');
    const handle = await fs.promises.open(hugeFile, 'w');
    try {
      for (let at = 0, seed = 1; at < HUGE_SIZE; seed++) {
        const block = randomBytes(seed, Math.min(4 * MiB + 3, HUGE_SIZE - at));
        hash.update(block);
        await handle.write(block, 0, block.length, at);
        at += block.length;
      }
    } finally {
      await handle.close();
    }
    hugeSha = hash.digest('hex');
  });

  it('pause()/resume() with timers on a 64 MiB+ file: bytes identical', async () => {
    const rng = new Rng(7);
    const stream = aiofs.createReadStream(hugeFile);
    const hash = createHash('sha256');
    let bytes = 0;
    let pauses = 0;
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        bytes += chunk.length;
        // Every chunk: pause, and resume 0-3 ms later (sometimes twice, which must be harmless).
        pauses++;
        stream.pause();
        setTimeout(() => stream.resume(), rng.int(0, 3));
        if (rng.chance(0.1)) setTimeout(() => stream.resume(), rng.int(0, 3));
      });
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    console.log(`[read-stream consumers] slow consumer: ${bytes} bytes, ${pauses} pauses`);
    expect(bytes).toBe(HUGE_SIZE);
    expect(hash.digest('hex')).toBe(hugeSha);
    expect(pauses).toBeGreaterThan(10);
  });

  it('a Writable that takes 1 ms per chunk (pipeline backpressure), readAhead 8: bytes identical', async () => {
    const hash = createHash('sha256');
    let bytes = 0;
    await pipeline(
      aiofs.createReadStream(hugeFile, { readAhead: 8, start: 4097, highWaterMark: 4 * MiB }),
      new Writable({
        highWaterMark: 1,
        write(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          bytes += chunk.length;
          setTimeout(callback, 1);
        },
      }),
    );
    const expected = createHash('sha256');
    await pipeline(
      fs.createReadStream(hugeFile, { start: 4097 }),
      new PassThrough().on('data', (c: Buffer) => expected.update(c)),
    );
    expect(bytes).toBe(HUGE_SIZE - 4097);
    expect(hash.digest('hex')).toBe(expected.digest('hex'));
  });
});

// ---------------------------------------------------------------------------------------------
// Special files
// ---------------------------------------------------------------------------------------------

describe.skipIf(noImpl !== undefined)('special files, each compared with fs.createReadStream', () => {
  it('a FIFO: a writer writes known data then closes; both read exactly it', async () => {
    const fifo = path.join(disk.dir, 'a-fifo');
    execFileSync('mkfifo', [fifo]);
    const size = 3 * MiB + 7;
    const expected = randomBytes(99, size);
    const dataFile = path.join(disk.dir, 'fifo-source.bin');
    await fs.promises.writeFile(dataFile, expected);
    try {
      const outcomes: Record<string, unknown> = {};
      for (const impl of impls) {
        // The writer opens the FIFO for writing (blocking until the stream opens it for reading),
        // writes the data in pieces, and closes.
        const writer = spawn(process.execPath, [
          '-e',
          `const fs=require('fs');const d=fs.readFileSync(process.argv[1]);const fd=fs.openSync(process.argv[2],'w');` +
            `for(let i=0;i<d.length;i+=100003)fs.writeSync(fd,d,i,Math.min(100003,d.length-i));fs.closeSync(fd);`,
          dataFile,
          fifo,
        ]);
        const writerDone = new Promise<number | null>((resolve) => writer.on('exit', resolve));
        const seen = await observe(impl.createReadStream(fifo, { highWaterMark: 65536 }), undefined, [fifo]);
        expect(await writerDone).toBe(0);
        expect((seen.content as Buffer).equals(expected), `${impl.label}: FIFO content`).toBe(true);
        outcomes[impl.label] = { events: seen.events, error: seen.error, bytesRead: seen.bytesRead };
      }
      expect(outcomes[aiofs.label]).toEqual(outcomes[nodeStreams.label]);
    } finally {
      await fs.promises.rm(fifo, { force: true });
      await fs.promises.rm(dataFile, { force: true });
    }
  });

  it('/dev/zero with end: 1 MiB - 1: 1 MiB of zeros', async () => {
    const outcomes: Record<string, unknown> = {};
    for (const impl of impls) {
      const seen = await observe(impl.createReadStream('/dev/zero', { end: MiB - 1 }));
      const content = seen.content as Buffer;
      expect(content.length, impl.label).toBe(MiB);
      expect(content.equals(Buffer.alloc(MiB)), impl.label).toBe(true);
      outcomes[impl.label] = { events: seen.events, error: seen.error, bytesRead: seen.bytesRead };
    }
    expect(outcomes[aiofs.label]).toEqual(outcomes[nodeStreams.label]);
  });

  it('/proc/self/status (size 0 in stat): non-empty text starting with "Name:"', async () => {
    const outcomes: Record<string, unknown> = {};
    for (const impl of impls) {
      const seen = await observe(impl.createReadStream('/proc/self/status', 'utf8'));
      expect(typeof seen.content, impl.label).toBe('string');
      expect(seen.content.length, impl.label).toBeGreaterThan(20);
      expect((seen.content as string).startsWith('Name:'), impl.label).toBe(true);
      outcomes[impl.label] = { events: seen.events, error: seen.error };
    }
    expect(outcomes[aiofs.label]).toEqual(outcomes[nodeStreams.label]);
  });

  for (const f of filesystems) {
    const skip = f.skipReason;
    if (skip) console.warn(`[read-stream consumers] SKIPPING ranges on ${f.name}: ${skip}`);
    it.skipIf(skip !== undefined)(
      `${f.name} (${f.description}): whole file and odd ranges equal fs's and the file${skip ? ` [SKIPPED: ${skip}]` : ''}`,
      async () => {
        const size = 5 * MiB + 4097 + 3;
        const content = randomBytes(0x7e57 + f.name.length, size);
        const file = path.join(f.dir, 'ranges.bin');
        await fs.promises.writeFile(file, content);
        try {
          const ranges = [
            {},
            { start: 1, end: 4094 },
            { start: 4095, end: 4097 },
            { start: 511, end: 2 * MiB + 3 },
            { start: size - 5, end: size + 100 },
            { start: 0, end: 0 },
            { start: 3 * MiB + 4095 },
          ];
          for (const range of ranges) {
            for (const options of [
              {},
              { cache: 'bypass' as const, readAhead: 3 },
              { highWaterMark: 12_345, encoding: 'latin1' as const },
            ]) {
              const got: Record<string, unknown> = {};
              for (const impl of impls) {
                const seen = await observe(impl.createReadStream(file, { ...range, ...options }), undefined, [file]);
                const bytes = typeof seen.content === 'string' ? Buffer.from(seen.content, 'latin1') : seen.content;
                got[impl.label] = {
                  events: seen.events,
                  error: seen.error,
                  bytesRead: seen.bytesRead,
                  sha: sha256(bytes),
                  length: bytes.length,
                };
              }
              const expected = slice(content, range);
              const label = `${f.name} ${JSON.stringify(range)} ${JSON.stringify(options)}`;
              expect(got[nodeStreams.label], label).toMatchObject({ sha: sha256(expected), length: expected.length });
              expect(got[aiofs.label], label).toEqual(got[nodeStreams.label]);
            }
          }
        } finally {
          await fs.promises.rm(file, { force: true });
        }
      },
    );

    it.skipIf(skip !== undefined)(
      `${f.name}: a short chunk does not pin a large buffer${skip ? ` [SKIPPED: ${skip}]` : ''}`,
      async () => {
        const small = path.join(f.dir, 'ten-bytes.bin');
        const tail = path.join(f.dir, 'one-mib-and-ten.bin');
        await fs.promises.writeFile(small, 'ten bytes!');
        await fs.promises.writeFile(tail, randomBytes(5, MiB + 10));
        try {
          const chunks: Buffer[] = [];
          await pipeline(aiofs.createReadStream(small), new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) }));
          expect(chunks.length).toBe(1);
          expect(chunks[0]!.toString()).toBe('ten bytes!');
          console.log(
            `[read-stream consumers] ${f.name}: 10-byte file -> 10-byte chunk in a ${chunks[0]!.buffer.byteLength}-byte ArrayBuffer`,
          );
          expect(chunks[0]!.buffer.byteLength).toBeLessThan(64 * KiB);

          const last: Buffer[] = [];
          await pipeline(
            aiofs.createReadStream(tail, { readAhead: 2 }),
            new Writable({ write: (c: Buffer, _e, cb) => (last.splice(0, 1, c), cb()) }),
          );
          const lastChunk = last[0]!;
          console.log(
            `[read-stream consumers] ${f.name}: last chunk of a 1 MiB + 10 file: ${lastChunk.length} bytes in a ${lastChunk.buffer.byteLength}-byte ArrayBuffer`,
          );
          if (lastChunk.length < 8 * KiB) expect(lastChunk.buffer.byteLength).toBeLessThan(64 * KiB);
        } finally {
          await fs.promises.rm(small, { force: true });
          await fs.promises.rm(tail, { force: true });
        }
      },
    );
  }
});

// ---------------------------------------------------------------------------------------------
// RSS under a slow consumer
// ---------------------------------------------------------------------------------------------

describe.skipIf(noImpl !== undefined)('memory', () => {
  const RSS_LIMIT_MIB = 64;
  for (const [impl, pace] of [
    ['aiofs', 'chunk'],
    ['aiofs', '64k'],
    ['fs', 'chunk'],
  ] as const) {
    const standIn = impl === 'aiofs' && aiofs.standIn;
    it(`${impl === 'fs' || standIn ? 'node:fs (reference)' : 'aiofs'}: a 1 GiB sparse file into a slow consumer (2 ms per ${pace === 'chunk' ? 'chunk' : '64 KiB'}) for 3 s grows RSS by < ${RSS_LIMIT_MIB} MiB`, () => {
      const run = runFixture('read-stream-rss.mjs', [disk.dir, standIn ? 'fs' : impl, '3', '1024', pace], {
        nodeFlags: ['--expose-gc'],
      });
      console.log(
        `[read-stream consumers] RSS ${impl}/${pace}: ${JSON.stringify(run.report)}${run.stderr ? `\n  stderr: ${run.stderr.trim()}` : ''}`,
      );
      expect(run.status).toBe(0);
      const report = run.report as {
        growthMiB?: number;
        peakMiB?: number;
        badChunks?: number;
        bytes?: number;
        closeOutcome?: string;
        error?: string | null;
      };
      expect(report.error ?? null).toBeNull();
      expect(report.badChunks).toBe(0);
      expect(report.bytes).toBeGreaterThan(16 * MiB);
      expect(report.closeOutcome).toBe('closed');
      expect(report.growthMiB).toBeLessThan(RSS_LIMIT_MIB);
    });
  }
});
