/**
 * Small files through aiofs's read streams (lib/small-file-reader.ts). A path stream over a regular
 * file of up to 64 KiB (and no larger than its highWaterMark) reads it whole in one go: from the page
 * cache on the event loop, with no kernel-AIO request and no job, when cached; by one job that fills
 * the page cache when not; opened in a job when the dentry cache misses. Each case compares what the
 * consumer sees with node:fs's stream over the same file, and reads contextStats() to see which path the
 * stream took.
 *
 * Needs a fresh dist/ (npm run build).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
// The parts of aiofs these tests use (dist/ is compiled from lib/, outside this project's types).
const aiofs = require('../dist/index.js') as {
  createReadStream: typeof fs.createReadStream;
  contextStats(): Record<string, number> | null;
};

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'aiofs-small-stream-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

let serial = 0;
function fileWith(bytes: Uint8Array): string {
  const file = path.join(root, `f-${++serial}`);
  fs.writeFileSync(file, bytes);
  return file;
}

type Counters = Record<'cachedOpens' | 'cachedOpenMisses' | 'cachedReads' | 'cachedReadMisses' | 'submitted' | 'jobs', number>;
function counters(): Counters {
  const s = aiofs.contextStats()!;
  return {
    cachedOpens: s.cachedOpens,
    cachedOpenMisses: s.cachedOpenMisses,
    cachedReads: s.cachedReads,
    cachedReadMisses: s.cachedReadMisses,
    submitted: s.submitted,
    jobs: s.jobs,
  };
}
function delta(before: Counters): Counters {
  const now = counters();
  return Object.fromEntries(Object.entries(now).map(([k, v]) => [k, v - before[k as keyof Counters]])) as Counters;
}

/** The chunks a stream gives (strings when it has an encoding), and its events in order. */
function consume(stream: Readable): Promise<{ chunks: (string | number)[]; bytes: Buffer; events: string[] }> {
  const chunks: (string | number)[] = [];
  const parts: Buffer[] = [];
  const events: string[] = [];
  for (const name of ['open', 'ready', 'end', 'close', 'error']) stream.on(name, () => events.push(name));
  stream.on('data', (chunk: Buffer | string) => {
    chunks.push(typeof chunk === 'string' ? chunk : chunk.length);
    parts.push(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
    if (events.at(-1) !== 'data') events.push('data');
  });
  return new Promise((resolve, reject) => {
    stream.once('close', () => resolve({ chunks, bytes: Buffer.concat(parts), events }));
    stream.once('error', reject);
  });
}

/** Writes back and drops the files' pages from the page cache (node:fs has no fadvise; python3's os has). */
function evictFromPageCache(files: string[]): void {
  const program =
    'import os, sys\nfor f in sys.argv[1:]:\n  fd = os.open(f, os.O_RDONLY); os.fdatasync(fd); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED); os.close(fd)';
  const run = spawnSync('python3', ['-c', program, ...files], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`evicting from the page cache failed: ${run.stderr}`);
}

const SIZES = [1, 511, 512, 4095, 4096, 4097, 65535, 65536];

describe('a cached small file', () => {
  it('reaches the consumer in the chunks node gives, read on the loop with no kernel-AIO request and no job', async () => {
    for (const size of SIZES) {
      const file = fileWith(randomBytes(size));
      fs.readFileSync(file); // cached
      const expected = await consume(fs.createReadStream(file));
      const before = counters();
      const got = await consume(aiofs.createReadStream(file));
      expect(got, `${size} bytes`).toEqual(expected);
      expect(got.bytes.equals(fs.readFileSync(file)), `${size} bytes`).toBe(true);
      expect(delta(before), `${size} bytes`).toEqual({
        cachedOpens: 1,
        cachedOpenMisses: 0,
        cachedReads: 1,
        cachedReadMisses: 0,
        submitted: 0,
        jobs: 0,
      });
    }
  });

  it("opened from the dentry cache: the stream's descriptor has the open flags node's stream's has", async () => {
    const file = fileWith(randomBytes(4096));
    fs.readFileSync(file); // cached
    /** The descriptor's open(2) flags as the kernel reports them (octal in /proc/self/fdinfo). */
    const flagsOnOpen = (stream: Readable & { fd?: number | null }) =>
      new Promise<number>((resolve, reject) =>
        stream.once('error', reject).once('open', (fd: number) => {
          const info = fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
          resolve(parseInt(/^flags:\s+([0-7]+)$/m.exec(info)![1], 8));
          stream.destroy();
        }),
      );
    const before = counters();
    const aiofsFlags = await flagsOnOpen(aiofs.createReadStream(file));
    expect(delta(before).cachedOpens).toBe(1);
    const nodeFlags = await flagsOnOpen(fs.createReadStream(file));
    expect(aiofsFlags & fs.constants.O_NONBLOCK).toBe(0);
    expect(aiofsFlags).toBe(nodeFlags);
  });

  it("with an encoding, a smaller highWaterMark or a range: the same strings and bytes as node's", async () => {
    const file = fileWith(randomBytes(20_000));
    fs.readFileSync(file);
    for (const options of [
      { encoding: 'hex' as const },
      { encoding: 'utf8' as const },
      { highWaterMark: 1000 },
      { start: 10, end: 5000 },
    ]) {
      const expected = await consume(fs.createReadStream(file, options));
      const got = await consume(aiofs.createReadStream(file, options));
      expect(got.bytes.equals(expected.bytes), JSON.stringify(options)).toBe(true);
      if ('encoding' in options) expect(got.chunks, JSON.stringify(options)).toEqual(expected.chunks);
      expect(got.events, JSON.stringify(options)).toEqual(expected.events);
    }
  });

  it('that grows between the open and the first read is read to its new end, as node reads it', async () => {
    const head = randomBytes(3000);
    const tail = randomBytes(150_000);
    const results = [];
    for (const m of [fs, aiofs]) {
      const file = fileWith(head);
      fs.readFileSync(file);
      const stream = m.createReadStream(file);
      stream.once('open', () => fs.appendFileSync(file, tail));
      results.push((await consume(stream)).bytes);
    }
    expect(results[1]!.equals(Buffer.concat([head, tail]))).toBe(true);
    expect(results[1]!.equals(results[0]!)).toBe(true);
  });

  it('512 streams started together copy their files over several turns of the loop (lib/turn-budget.ts)', async () => {
    // 32 MiB of copies: over 1.5 ms even at 20 GB/s, so more than three turns' budget of 0.5 ms.
    const COUNT = 512;
    const files = Array.from({ length: COUNT }, (_, i) => fileWith(Buffer.alloc(65536, i)));
    files.forEach((file) => fs.readFileSync(file));
    const before = counters();
    // Copies counted at each turn of the loop (setImmediate), and what came after the last count.
    const perTurn: number[] = [];
    let finished = false;
    let seen = 0;
    const count = (): void => {
      const now = delta(before).cachedReads;
      perTurn.push(now - seen);
      seen = now;
    };
    const tick = (): void => {
      count();
      if (!finished) setImmediate(tick);
    };
    setImmediate(tick);
    const results = await Promise.all(files.map((file) => consume(aiofs.createReadStream(file))));
    finished = true;
    count();
    results.forEach((r, i) => expect(r.bytes.equals(Buffer.alloc(65536, i % 256))).toBe(true));
    expect(delta(before).cachedReads).toBe(COUNT);
    const turnsWithCopies = perTurn.filter((n) => n > 0).length;
    expect(Math.max(...perTurn)).toBeLessThan(COUNT);
    expect(turnsWithCopies).toBeGreaterThan(1);
    console.log(
      `[small-file streams] ${COUNT} cached 64 KiB files copied over ${turnsWithCopies} turns, at most ${Math.max(...perTurn)} in one`,
    );
  });
});

describe('a small file the caches miss', () => {
  it('the page cache: one job reads it (no direct read) and fills the cache, so the next stream is a hit', async () => {
    for (const size of [1, 4096, 40_000, 65536]) {
      const file = fileWith(randomBytes(size));
      evictFromPageCache([file]);
      const before = counters();
      const got = await consume(aiofs.createReadStream(file));
      expect(got.bytes.equals(fs.readFileSync(file)), `${size} bytes`).toBe(true);
      expect(got.chunks, `${size} bytes`).toEqual([size]);
      const cold = delta(before);
      expect(cold, `${size} bytes, cold`).toMatchObject({ cachedReads: 0, cachedReadMisses: 1, submitted: 0, jobs: 1 });
      const again = counters();
      await consume(aiofs.createReadStream(file));
      expect(delta(again), `${size} bytes, again`).toMatchObject({ cachedReads: 1, cachedReadMisses: 0, submitted: 0, jobs: 0 });
    }
  });

  it('destroyed while its job reads: closes only after the job, with no error and no descriptor left', async () => {
    // fadvise(DONTNEED) leaves a page now and then (one file in 16 when idle; more under a loaded CI
    // run), and a file whose first pages are still cached is read without a job: so files are made,
    // evicted and read one by one until 8 were destroyed with their job in flight (at most 64 files).
    const outcomes: string[] = [];
    while (outcomes.filter((o) => o !== 'cached after all').length < 8 && outcomes.length < 64) {
      const file = fileWith(randomBytes(50_000));
      evictFromPageCache([file]);
      // One at a time, so that the jobs outstanding at 'close' can only be this stream's; each on a fresh
      // turn of the loop, so that the turn budget lets its first _read read at once.
      await new Promise((resolve) => setImmediate(resolve));
      outcomes.push(
        await new Promise<string>((resolve) => {
          const stream = aiofs.createReadStream(file);
          const before = counters();
          // Destroyed as soon as the first read (a microtask after the first _read) has submitted the job,
          // while it is in flight.
          const read = stream._read;
          stream._read = function (this: Readable, size: number) {
            read.call(this, size);
            void Promise.resolve().then(() => {
              if (delta(before).cachedReadMisses === 1 && aiofs.contextStats()!.jobsOutstanding === 1) this.destroy();
            });
          };
          stream.once('end', () =>
            resolve(delta(before).cachedReads === 1 ? 'cached after all' : 'ended: not destroyed while the job read'),
          );
          stream.once('error', (error) => resolve(`error ${error.message}`));
          stream.once('close', () =>
            resolve(`jobs ${delta(before).jobs}, outstanding at close ${aiofs.contextStats()!.jobsOutstanding}`),
          );
          stream.resume();
        }),
      );
    }
    const destroyedInFlight = outcomes.filter((o) => o !== 'cached after all');
    console.log(`[small-file streams] ${destroyedInFlight.length} of ${outcomes.length} files destroyed with the job in flight`);
    expect(destroyedInFlight).toEqual(destroyedInFlight.map(() => 'jobs 1, outstanding at close 0'));
    expect(destroyedInFlight.length).toBeGreaterThanOrEqual(8);
    const ours = fs.readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith(root);
      } catch {
        return false; // closed between readdir and readlink (the readdir's own descriptor)
      }
    });
    expect(ours).toEqual([]);
  });

  it("the dentry cache (as root: drop_caches): the open is a job on aiofs's threads, the bytes and events node's", async (ctx) => {
    try {
      fs.writeFileSync('/proc/sys/vm/drop_caches', '2');
    } catch (error) {
      console.log(
        `[small-file streams] skipped: dropping the dentry cache needs root (${(error as NodeJS.ErrnoException).code})`,
      );
      ctx.skip();
      return;
    }
    const files = Array.from({ length: 8 }, () => fileWith(randomBytes(30_000)));
    fs.writeFileSync('/proc/sys/vm/drop_caches', '3');
    const before = counters();
    for (const file of files) {
      const got = await consume(aiofs.createReadStream(file));
      const expected = await consume(fs.createReadStream(file));
      expect(got).toEqual(expected);
    }
    const d = delta(before);
    expect(d.cachedOpenMisses).toBeGreaterThanOrEqual(1);
    expect(d.cachedOpens + d.cachedOpenMisses).toBe(8);
    expect(d.submitted).toBe(0);
  });
});
