// The native engine's edges: batching, a ring smaller than the load, workers terminated mid-I/O,
// process.exit() and gc() with requests in flight, the threadpool out of the picture, cancel/abort.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { engine } from '../dist/backend.js';
import { backend, contextStats, createReadStream } from '../dist/index.js';
import { CACHED, NATIVE_EXPORTS, loaded } from '../dist/binding.js';
import { open } from '../dist/promises.js';
import { evictFromPageCache } from './support/page-cache.mjs';
import { lastLineReport, runFixture } from './support/run-fixture.js';

const kernel = backend.name === 'kernel-aio';
if (!kernel) console.log(`native-edges: skipped, backend is node-fs (${backend.reason})`);

/** Counts turns of the event loop (setImmediate callbacks, one per turn) until stop(), which returns the count. */
function countTurns(): { stop(): number } {
  let turns = 0;
  let done = false;
  const tick = () => {
    if (done) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  return {
    stop() {
      done = true;
      return turns;
    },
  };
}

let dir: string;

/** A file in `dir` whose every 4-byte word holds its own offset, read once so that it is cached. */
function cachedCountingFile(name: string, size: number): { file: string; data: Buffer } {
  const file = join(dir, name);
  const data = Buffer.alloc(size);
  for (let i = 0; i < data.length; i += 4) data.writeUInt32LE(i, i);
  writeFileSync(file, data);
  readFileSync(file);
  return { file, data };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aiofs-edges-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!kernel)('native engine', () => {
  it('exports exactly the functions lib/binding.ts declares', () => {
    const binding = loaded.binding as unknown as Record<string, unknown>;
    expect(Object.keys(binding).sort()).toEqual([...NATIVE_EXPORTS].sort());
    for (const name of NATIVE_EXPORTS) expect(typeof binding[name], name).toBe(name === 'ops' ? 'object' : 'function');
  });

  it('sends the requests of one event-loop turn in one io_submit', async () => {
    const file = join(dir, 'batch.bin');
    writeFileSync(file, Buffer.alloc(1 << 20, 5));
    evictFromPageCache(file); // uncached: the reads go to the kernel (cached ones are copied at once)
    const fh = await open(file, 'r');
    await fh.read(Buffer.alloc(10), 0, 10, 0); // sets up the context
    const before = contextStats()!;
    const reads = Array.from({ length: 100 }, (_, i) => fh.read(Buffer.alloc(4096), 0, 4096, i * 8192));
    const results = await Promise.all(reads);
    const after = contextStats()!;
    await fh.close();
    expect(results.every((r) => r.bytesRead === 4096 && r.buffer.every((b) => b === 5))).toBe(true);
    // 100 reads issued synchronously: one io_submit for all.
    expect(after.maxBatch).toBeGreaterThanOrEqual(100);
    expect(after.submitCalls - before.submitCalls).toBeLessThanOrEqual(3);
  });

  it('offers large requests about 1 MiB per io_submit, and leaves the rest for the next turn once io_submit has taken 0.25 ms', async () => {
    // io_submit does a request's per-byte work on the loop thread (a cached read is copied inside it).
    const size = 64 << 20;
    const { file, data } = cachedCountingFile('budget.bin', size); // cached, so each read is a copy inside io_submit
    const fh = await fsp.open(file, 'r');
    const aio = engine()!;
    const readAll = async (count: number, length: number) => {
      const memory = Array.from({ length: count }, () => Buffer.alloc(length));
      const turns = countTurns();
      const results = await Promise.all(
        memory.map((m, i) => new Promise<number>((resolve) => aio.submit(0 /* Op.Pread */, fh.fd, m, i * length, 0, resolve))),
      );
      return { results, memory, turns: turns.stop() };
    };
    try {
      for (const [count, length, calls] of [
        [8, 1 << 20, 8], // 1 MiB each: one per io_submit
        [8, 128 << 10, 1], // 1 MiB in all: one io_submit
        [4, 16 << 20, 4], // each larger than the batch, and a copy far longer than 0.25 ms
      ] as const) {
        const before = contextStats()!;
        const { results, memory, turns } = await readAll(count, length);
        const after = contextStats()!;
        expect(results).toEqual(new Array(count).fill(length));
        memory.forEach((m, i) => expect(m.equals(data.subarray(i * length, (i + 1) * length))).toBe(true));
        expect(after.submitCalls - before.submitCalls, `${count} x ${length}`).toBe(calls);
        // 16 MiB copies: one per turn of the loop, with other callbacks (here setImmediate) in between.
        if (length === 16 << 20) expect(turns).toBeGreaterThanOrEqual(count - 1);
      }
    } finally {
      await fh.close();
    }
  });

  it('hands completions to JavaScript only while a turn has run under 0.5 ms: 2 ms callbacks get a turn each', async () => {
    const file = join(dir, 'deliver.bin');
    const count = 16,
      length = 64 << 10;
    writeFileSync(file, Buffer.alloc(count * length, 7));
    evictFromPageCache(file); // uncached: the reads go to the kernel and complete through its ring
    const fh = await fsp.open(file, 'r');
    const aio = engine()!;
    try {
      const memory = Array.from({ length: count }, () => Buffer.alloc(length));
      let turn = 0,
        done = false;
      const tick = () => {
        turn++;
        if (!done) setImmediate(tick);
      };
      setImmediate(tick);
      const turnOf: number[] = [];
      const results = await Promise.all(
        memory.map(
          (m, i) =>
            new Promise<number>((resolve) =>
              aio.submit(0 /* Op.Pread */, fh.fd, m, i * length, 0, (result) => {
                turnOf.push(turn);
                const start = performance.now();
                while (performance.now() - start < 2); // a consumer's synchronous work on its chunk
                resolve(result);
              }),
            ),
        ),
      );
      done = true;
      expect(results).toEqual(new Array(count).fill(length));
      expect(memory.every((m) => m.every((b) => b === 7))).toBe(true);
      // Each callback outlasts the budget: the next completion waits for a later turn, whatever number
      // of them the kernel had posted together (before the budget, all of them went in one turn).
      const perTurn = new Map<number, number>();
      for (const t of turnOf) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
      expect(Math.max(...perTurn.values()), `callbacks per turn: ${JSON.stringify([...perTurn])}`).toBe(1);
    } finally {
      await fh.close();
    }
  });

  it('copies cached whole files and small reads on the loop only while a turn has run under 0.5 ms (lib/turn-budget.ts)', async () => {
    // 64 readFile()s of cached 1 MiB files started together: without the budget each call would open
    // and copy its file at once, 64 copies in this turn; with it the rest wait for later turns.
    const files = Array.from({ length: 64 }, (_, i) => join(dir, `turn-${i}.bin`));
    files.forEach((file, i) => writeFileSync(file, Buffer.alloc(1 << 20, i)));
    files.forEach((file) => readFileSync(file)); // cached
    const aioReadFile = (await import('../dist/promises.js')).readFile;
    await new Promise((resolve) => setImmediate(resolve)); // a turn that has not yet run out of time
    // A call is served when it copies its file, or, where its new buffer is not in memory yet, hands the
    // read to a thread (freshMemoryReads; lib/whole-file.ts, isFresh): either happens in its turn.
    const served = () => contextStats()!.cachedReads + contextStats()!.freshMemoryReads;
    const before = served();
    const reads = files.map((file) => aioReadFile(file));
    const copiedAtOnce = served() - before;
    const counter = countTurns();
    const contents = await Promise.all(reads);
    const turns = counter.stop();
    contents.forEach((c, i) => expect(c.equals(Buffer.alloc(1 << 20, i)), files[i]).toBe(true));
    expect(served() - before).toBe(64);
    expect(copiedAtOnce).toBeGreaterThanOrEqual(1);
    expect(copiedAtOnce).toBeLessThan(64);
    expect(turns).toBeGreaterThan(1);
    console.log(`turn budget: ${copiedAtOnce} of 64 cached 1 MiB files copied in the first turn, the rest over ${turns} more`);

    // Small positional reads of a cached file alike: 256 reads of 128 KiB (the most copied at once).
    const fh = await open(files[0]!, 'r');
    try {
      const beforeReads = contextStats()!.cachedReads;
      const small = Array.from({ length: 256 }, (_, i) => fh.read(Buffer.alloc(128 << 10), 0, 128 << 10, (i % 8) * (128 << 10)));
      const readAtOnce = contextStats()!.cachedReads - beforeReads;
      const results = await Promise.all(small);
      for (const r of results) expect(r.bytesRead).toBe(128 << 10);
      expect(readAtOnce).toBeLessThan(256);
    } finally {
      await fh.close();
    }
  });

  it('calls that wait for a turn start in the order they came: 64 callers looping on cached readFile all progress', async () => {
    // Without the queue (lib/turn-budget.ts), callers whose reads the budget let through came straight
    // back for more and got through again, while a caller put off to a later turn was put off again:
    // one of 64 waited the whole 2 s run.
    const files = Array.from({ length: 64 }, (_, i) => join(dir, `fair-${i}.bin`));
    files.forEach((file, i) => writeFileSync(file, Buffer.alloc(64 << 10, i)));
    files.forEach((file) => readFileSync(file)); // cached
    const aioReadFile = (await import('../dist/promises.js')).readFile;
    const calls = files.map(() => 0);
    let longest = 0;
    const end = performance.now() + 1000;
    await Promise.all(
      files.map(async (file, i) => {
        while (performance.now() < end) {
          const started = performance.now();
          const contents = await aioReadFile(file);
          longest = Math.max(longest, performance.now() - started);
          expect(contents[0]).toBe(i);
          calls[i]++;
        }
      }),
    );
    const sorted = [...calls].sort((a, b) => a - b);
    console.log(
      `turn queue: 64 callers for 1 s: calls per caller ${sorted[0]} to ${sorted[63]} (median ${sorted[32]}), longest call ${longest.toFixed(1)} ms`,
    );
    expect(sorted[0]).toBeGreaterThanOrEqual(sorted[32] / 2);
    expect(longest).toBeLessThan(250);
  });

  it('cached reads that a turn has no io_submit time left for are copied by the threads (threadCopies)', async () => {
    // One 32 MiB read of a cached file: 32 RWF_NOWAIT requests of 1 MiB, about 0.1-0.35 ms of copying
    // each inside io_submit; a turn submits 0.25 ms of them and hands the next to free threads.
    const { file, data } = cachedCountingFile('spill.bin', 32 << 20);
    const fh = await open(file, 'r');
    try {
      const before = contextStats()!;
      const target = Buffer.alloc(data.length);
      expect((await fh.read(target, 0, target.length, 0)).bytesRead).toBe(data.length);
      const after = contextStats()!;
      expect(target.equals(data)).toBe(true);
      const threadCopies = after.threadCopies - before.threadCopies;
      const submitted = after.submitted - before.submitted;
      console.log(
        `thread copies: a 32 MiB cached read, ${submitted} requests in io_submit, ${threadCopies} copied by the threads`,
      );
      expect(submitted + threadCopies).toBe(32);
      expect(threadCopies).toBeGreaterThan(0);
      expect(submitted).toBeGreaterThan(0);
    } finally {
      await fh.close();
    }
  });

  it('copies on the threads leave the loop a CPU: on 2 CPUs, one copy at a time (one thread started)', () => {
    // Eight 16 MiB cached readFiles at once, four times: hundreds of 1 MiB copies go to the threads, as
    // cached copies a turn had no time for or as reads into new memory. With a copy per thread (up to
    // 4) on 2 CPUs the loop waited for a CPU; now at most CPUs - 1 (at least 1) copy at once, so the
    // context starts one thread for them. taskset pins the process to 2 CPUs (1 on a machine with one).
    const cpus = availableParallelism() >= 2 ? '0,1' : '0';
    const script = fileURLToPath(new URL('./fixtures/thread-copies.mjs', import.meta.url));
    const child = spawnSync('taskset', ['-c', cpus, process.execPath, script], {
      env: { ...process.env, AIOFS_TEST_DIR: dir },
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (child.error) {
      console.log(`thread copies under taskset: SKIPPED, taskset cannot run (${child.error.message})`);
      return;
    }
    const report = lastLineReport(child.stdout);
    console.log(`thread copies under taskset -c ${cpus}: ${JSON.stringify(report)}`);
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(report.wrong).toBe(0);
    expect(Number(report.threadCopies) + Number(report.freshMemoryReads)).toBeGreaterThan(0);
    expect(report.threads).toBe(1);
  });

  it('small cached reads: a lone reader copies each at once, reads started together go in one io_submit (copiesNow)', async () => {
    const { file, data } = cachedCountingFile('batch.bin', 4 << 20);
    const fh = await open(file, 'r');
    try {
      const at = (i: number) => ((i * 7919) % 1024) * 4096;
      // One at a time: each read copies at once on the loop, nothing goes to the kernel.
      let before = contextStats()!;
      for (let i = 0; i < 200; i++) {
        const buf = Buffer.alloc(4096);
        expect((await fh.read(buf, 0, 4096, at(i))).bytesRead).toBe(4096);
        expect(buf.equals(data.subarray(at(i), at(i) + 4096))).toBe(true);
      }
      let after = contextStats()!;
      expect(after.cachedReads - before.cachedReads).toBe(200);
      expect(after.submitted - before.submitted).toBe(0);

      // 16 readers, each awaiting its own reads: after the first, they go to the kernel together.
      before = contextStats()!;
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          const buf = Buffer.alloc(4096);
          while (next < 1600) {
            const i = next++;
            expect((await fh.read(buf, 0, 4096, at(i))).bytesRead).toBe(4096);
            expect(buf.equals(data.subarray(at(i), at(i) + 4096))).toBe(true);
          }
        }),
      );
      after = contextStats()!;
      // A turn that runs out of io_submit time hands the rest to the threads (none, on a quiet machine).
      const batched = after.submitted - before.submitted + (after.threadCopies - before.threadCopies);
      const calls = after.submitCalls - before.submitCalls;
      console.log(
        `copiesNow: 1600 reads at 16 in flight: ${after.cachedReads - before.cachedReads} copied at once, ${batched} in ${calls} io_submit calls`,
      );
      expect(batched + after.cachedReads - before.cachedReads).toBe(1600);
      expect(batched).toBeGreaterThan(1500);
      expect(batched / calls).toBeGreaterThanOrEqual(4); // completions come back 8 per call (engine.ts), so do the batches
    } finally {
      await fh.close();
    }
  });

  it('asks the page cache with cachestat(2) without filling it: a direct read does not cache, a buffered read does', async () => {
    const file = join(dir, 'cachestat.bin');
    writeFileSync(file, Buffer.alloc(1 << 20, 7));
    evictFromPageCache(file);
    const fh = await open(file, 'r');
    try {
      await fh.read(Buffer.alloc(1 << 20), 0, 1 << 20, 0); // not cached: O_DIRECT, bypassing the page cache
      const state = (position: number, length: number) => loaded.binding!.cacheState(fh.fd, position, length);
      const holds = (position: number, length: number) => (state(position, length) & CACHED ? 1 : 0);
      const before = state(0, 1 << 20);
      if (before < 0) {
        console.log(`native-edges: cachestat(2) unavailable here (${before}); aiofs probes with RWF_NOWAIT reads instead`);
        expect(before).toBe(-38); // ENOSYS, the only failure aiofs expects (kernels before 6.5)
        return;
      }
      expect(before).toBe(0);
      expect(holds(0, 1 << 20)).toBe(0); // asking did not bring the pages in
      const fsFd = await fsp.open(file, 'r');
      await fsFd.read(Buffer.alloc(64 << 10), 0, 64 << 10, 0); // buffered: caches at least these pages
      await fsFd.close();
      expect(holds(0, 64 << 10)).toBe(1);
      expect(holds(0, 0)).toBe(1); // nothing to read: trivially held
    } finally {
      await fh.close();
    }
  });

  it('handles a partial io_submit: the refused iocb fails alone, the rest go once', async () => {
    const file = join(dir, 'partial.bin');
    writeFileSync(file, Buffer.alloc(1 << 20, 6));
    const fh = await open(file, 'r');
    const aio = engine()!;
    const before = contextStats()!;
    const results: Promise<number>[] = [];
    // 20 valid reads with a read on a descriptor that is not open in the middle: io_submit takes the
    // first 10, stops at the bad one (EBADF), and the 10 after it are offered again.
    for (let i = 0; i < 21; i++) {
      const fd = i === 10 ? 1_000_000 : fh.fd;
      const memory = Buffer.alloc(512);
      results.push(new Promise((resolve) => aio.submit(0 /* Op.Pread */, fd, memory, i * 512, 0, resolve)));
    }
    const settled = await Promise.all(results);
    const after = contextStats()!;
    await fh.close();
    expect(settled[10]).toBe(-9); // -EBADF, delivered as that request's result
    expect(settled.filter((r, i) => i !== 10 && r === 512)).toHaveLength(20);
    expect(after.submitted - before.submitted).toBe(20); // none lost, none twice
    expect(after.submitCalls - before.submitCalls).toBe(3); // 10 accepted, 1 refused, 10 accepted
  });

  it('queues instead of failing when the ring is smaller than the load', () => {
    const run = runFixture('small-ring.mjs', [], { env: { AIOFS_QUEUE_DEPTH: '4', AIOFS_TEST_DIR: dir } });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.report).toMatchObject({ capacity: 4, wrong: 0, diskWrong: 0 });
    expect(run.report.maxBatch).toBeLessThanOrEqual(4);
    expect(run.report.submitted).toBeGreaterThanOrEqual(1000);
    expect(run.report.jobs).toBeGreaterThanOrEqual(1000);
  });

  it('survives workers terminated with requests in flight', () => {
    const run = runFixture('worker-terminate.mjs', ['30'], { env: { AIOFS_TEST_DIR: dir } });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.report).toMatchObject({ rounds: 30, kernelRounds: 30 });
    expect(run.report.maxInFlightAtTerminate).toBeGreaterThan(0);
  });

  it('exits cleanly on process.exit() with requests in flight', () => {
    const run = runFixture('exit-in-flight.mjs', [], { env: { AIOFS_TEST_DIR: dir } });
    expect(run.signal).toBeNull();
    expect(run.status).toBe(42);
    expect(run.report.pending).toBeGreaterThan(0);
  });

  it('keeps in-flight buffers alive through gc()', () => {
    const run = runFixture('gc-in-flight.mjs', [], { nodeFlags: ['--expose-gc'], env: { AIOFS_TEST_DIR: dir } });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.report).toEqual({ checked: 960, mismatches: 0, fileIntact: true });
  });

  it('does reads, writes (growing the file too), fsync and fdatasync with every threadpool thread blocked', () => {
    const run = runFixture('threadpool-blocked.mjs', [], { env: { UV_THREADPOOL_SIZE: '4', AIOFS_TEST_DIR: dir } });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    // The control proves the pool was blocked: node:fs's read waited until it was freed.
    expect(run.report).toMatchObject({
      backend: 'kernel-aio',
      controlResult: 'timeout',
      controlAfter: 'completed',
      aiofsResult: 'completed',
    });
    // A write that grows the file is a blocking job on aiofs's own threads, not libuv's.
    expect(run.report).toMatchObject({ growWhileBlocked: 'completed', growAfter: 'completed' });
    expect(run.report.completedByAiofs).toBeGreaterThanOrEqual(5);
    expect(run.report.size).toBe((1 << 20) + 123 + 3000);
  });

  it('destroying a read stream cancels its requests: the queued ones end, the kernel is asked for the rest', async () => {
    const file = join(dir, 'cancel.bin');
    writeFileSync(file, Buffer.alloc(64 << 20, 1));
    evictFromPageCache(file); // so the reads go to the device and stay in the kernel a while
    const before = contextStats()!;
    const fdsBefore = (await fsp.readdir('/proc/self/fd')).length;
    const stream = createReadStream(file, { readAhead: 64 });
    await new Promise<void>((resolve) => {
      const destroyWhenBusy = () => {
        if ((contextStats()?.inFlight ?? 0) > 0) resolve();
        else setImmediate(destroyWhenBusy);
      };
      stream.once('open', destroyWhenBusy);
      stream.resume();
    });
    stream.destroy();
    await new Promise<void>((resolve) => stream.once('close', resolve));
    const after = contextStats()!;
    // Regular files cannot cancel: io_cancel was asked, refused with EINVAL, and the results dropped.
    expect(after.cancelAsked).toBeGreaterThan(before.cancelAsked);
    expect(after.cancelRefused - before.cancelRefused).toBe(after.cancelAsked - before.cancelAsked);
    expect(after.inFlight).toBe(0);
    expect((await fsp.readdir('/proc/self/fd')).length).toBeLessThanOrEqual(fdsBefore);
  });

  it("fails every method with EBADF once closed; close() twice answers as node's does", async () => {
    const file = join(dir, 'closed.bin');
    writeFileSync(file, 'abc');
    const nodeHandle = await fsp.open(file, 'r+');
    const nodeFirst = nodeHandle.close();
    const nodeSame = nodeHandle.close() === nodeFirst;
    await nodeFirst;
    const fh = await open(file, 'r+');
    const first = fh.close();
    expect(fh.close() === first).toBe(nodeSame);
    await first;
    expect(fh.fd).toBe(-1);
    const calls: [string, () => Promise<unknown>][] = [
      ['read', () => fh.read(Buffer.alloc(3), 0, 3, 0)],
      ['readv', () => fh.readv([Buffer.alloc(3)])],
      ['write', () => fh.write(Buffer.from('x'))],
      ['writev', () => fh.writev([Buffer.from('x')])],
      ['fsync', () => fh.sync()],
      ['fdatasync', () => fh.datasync()],
      ['fstat', () => fh.stat()],
      ['ftruncate', () => fh.truncate(1)],
      ['readFile', () => fh.readFile()],
      ['writeFile', () => fh.writeFile('x')],
    ];
    for (const [syscall, call] of calls) {
      await expect(call(), syscall).rejects.toMatchObject({ code: 'EBADF', message: 'file closed', syscall });
    }
    expect(readFileSync(file, 'utf8')).toBe('abc');
  });

  it("puts the caller in a system error's stack, as fs does", async () => {
    const file = join(dir, 'stack.bin');
    writeFileSync(file, 'abc');
    async function readsAWriteOnlyFile(): Promise<unknown> {
      const fh = await open(file, 'w');
      try {
        return await fh.read(Buffer.alloc(3), 0, 3, 0);
      } finally {
        await fh.close();
      }
    }
    const error = await readsAWriteOnlyFile().then(
      () => null,
      (e: unknown) => e as NodeJS.ErrnoException,
    );
    expect(error).toMatchObject({ code: 'EBADF', errno: -9, syscall: 'read', message: 'EBADF: bad file descriptor, read' });
    expect(error?.stack).toMatch(/readsAWriteOnlyFile/);
    expect(error?.stack).not.toMatch(/at systemError/);
  });

  it('reports why a file runs on node-fs', async () => {
    const fh = await open('/proc/self/status', 'r');
    expect(fh.backend.name).toBe('node-fs');
    expect(fh.backend.reason).toMatch(/direct I\/O|regular file/);
    expect(fh.backend.directIoAlignment).toBeNull();
    const { bytesRead } = await fh.read(Buffer.alloc(100), 0, 100, 0);
    expect(bytesRead).toBeGreaterThan(0);
    await fh.close();
  });
});
