/**
 * aiofs's createWriteStream when things go wrong or stop early: ENOSPC on a small tmpfs (node:fs path)
 * and a small ext4 (direct I/O path), `flush` (an IOCB_CMD_FSYNC submitted and completed before
 * 'close'), a writer killed with SIGKILL (every byte before its last acknowledged sync() intact),
 * destroy() and an AbortSignal mid-write (descriptor closed, file trimmed to what was written, nothing
 * in flight), and btrfs left to node:fs (its direct I/O would block the event loop).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

import { backend, contextStats, createWriteStream } from '../dist/index.js';
import { describeFilesystems, mountDisk, useMoreFilesystems, useSmallExt4, useSmallTmpfs } from './support/filesystems';

const MiB = 1024 * 1024;
const kernel = backend.name === 'kernel-aio';
const disk = await mountDisk('ws-faults');
const smallTmpfs = await useSmallTmpfs('ws-faults', '3m');
const smallExt4 = await useSmallExt4('ws-faults', 24);
const [, btrfs] = await useMoreFilesystems('ws-faults');
console.log(`[write-stream faults] backend ${backend.name}\n${describeFilesystems([disk, smallTmpfs, smallExt4, btrfs!])}`);

type Stream = ReturnType<typeof createWriteStream>;

/** `size` deterministic bytes, different for each seed (any size). */
function dataOf(seed: number, size: number): Buffer {
  const data = Buffer.allocUnsafe(size);
  const words = new Uint32Array(data.buffer, data.byteOffset, size >>> 2);
  for (let i = 0; i < words.length; i++) words[i] = Math.imul(i + seed * 0x9e3779b9, 2654435761) ^ (i >>> 7);
  for (let i = words.length * 4; i < size; i++) data[i] = i + seed;
  return data;
}

/** Writes `data` in `chunk`-byte writes, respecting backpressure, until done or the stream fails. */
async function produce(stream: Stream, data: Buffer, chunk: number): Promise<Error | null> {
  let failure: Error | null = null;
  stream.on('error', (error) => (failure = error));
  for (let offset = 0; offset < data.length && failure === null && !stream.destroyed; offset += chunk) {
    if (!stream.write(data.subarray(offset, offset + chunk))) {
      await new Promise<void>((resolve) => {
        const go = () => {
          stream.off('drain', go);
          stream.off('close', go);
          resolve();
        };
        stream.once('drain', go);
        stream.once('close', go);
      });
    }
  }
  if (failure === null && !stream.destroyed) stream.end();
  await new Promise<void>((resolve) => (stream.closed ? resolve() : stream.once('close', () => resolve())));
  return failure;
}

const fdCount = () => fs.readdirSync('/proc/self/fd').length;

describe('ENOSPC', () => {
  for (const target of [smallTmpfs, smallExt4]) {
    const skip = target.skipReason;
    it.skipIf(skip !== undefined)(
      `${target.description}${skip ? ` [SKIPPED: ${skip}]` : ''}: error ENOSPC, the file holds exactly the first bytesWritten bytes`,
      async () => {
        const file = path.join(target.dir, 'full.bin');
        const data = dataOf(11, 40 * MiB);
        const before = fdCount();
        const stream = createWriteStream(file);
        const failure = (await produce(stream, data, 65536 + 17)) as NodeJS.ErrnoException | null;
        expect(failure?.code).toBe('ENOSPC');
        expect(failure?.syscall).toBe('write');
        expect(stream.bytesWritten).toBeGreaterThan(0);
        expect(stream.bytesWritten).toBeLessThan(data.length);
        const onDisk = fs.readFileSync(file);
        expect(onDisk.length).toBe(stream.bytesWritten);
        expect(onDisk.equals(data.subarray(0, stream.bytesWritten))).toBe(true);
        expect(fdCount()).toBe(before);
        expect(contextStats()?.inFlight ?? 0).toBe(0);
        // The process goes on: the space comes back and a new stream works.
        fs.rmSync(file);
        const again = createWriteStream(file);
        expect(await produce(again, data.subarray(0, MiB), 4096)).toBeNull();
        expect(fs.readFileSync(file).equals(data.subarray(0, MiB))).toBe(true);
      },
    );
  }
});

describe.skipIf(!kernel)('flush', () => {
  for (const flush of [true, false]) {
    it(`flush: ${flush}: ${flush ? 'the file is fsynced, as node does it, after' : 'no fsync after'} 'finish' and before 'close'`, async () => {
      // node's WriteStream fsyncs through its `fs` operations (node:fs's module object) when it closes.
      const fsModule = createRequire(import.meta.url)('node:fs') as typeof fs;
      const fsync = fsModule.fsync;
      const log: string[] = [];
      fsModule.fsync = ((fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
        log.push('fsync');
        fsync(fd, (error) => {
          log.push(`fsync done ${error?.code ?? 'ok'}`);
          callback(error);
        });
      }) as typeof fs.fsync;
      try {
        const file = path.join(disk.dir, `flush-${flush}.bin`);
        const stream = createWriteStream(file, { flush });
        stream.on('finish', () => log.push('finish'));
        stream.on('close', () => log.push('close'));
        const data = dataOf(5, 3 * MiB + 123);
        expect(await produce(stream, data, 100_000)).toBeNull();
        expect(fs.readFileSync(file).equals(data)).toBe(true);
        expect(log).toEqual(flush ? ['finish', 'fsync', 'fsync done ok', 'close'] : ['finish', 'close']);
      } finally {
        fsModule.fsync = fsync;
      }
    });
  }
});

describe.skipIf(!kernel)('SIGKILL mid-stream', () => {
  const fixture = fileURLToPath(new URL('./fixtures/write-kill.mjs', import.meta.url));
  const byteAt = (offset: number) => (offset * 2654435761 + (offset >>> 13)) >>> 24;
  it('every byte before the last acknowledged sync() is intact (6 rounds, killed at random moments)', async () => {
    const rounds: string[] = [];
    for (let round = 0; round < 6; round++) {
      const file = path.join(disk.dir, `killed-${round}.bin`);
      const child = spawn(process.execPath, [fixture, file, String(65536 + round * 4099), String((2 + round) << 20)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let synced = 0;
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const killAfter = 3 + ((round * 7) % 5); // syncs
      let seen = 0;
      await new Promise<void>((resolve) => {
        child.stdout.setEncoding('utf8').on('data', (text: string) => {
          for (const line of text.split('\n')) {
            const m = /^synced (\d+)$/.exec(line);
            if (!m) continue;
            synced = Number(m[1]);
            if (++seen === killAfter) setTimeout(() => child.kill('SIGKILL'), round * 3);
          }
        });
        child.on('exit', () => resolve());
      });
      expect(stderr).toBe('');
      expect(synced).toBeGreaterThan(0);
      const onDisk = fs.readFileSync(file);
      expect(onDisk.length).toBeGreaterThanOrEqual(synced);
      let bad = -1;
      for (let i = 0; i < synced; i++) {
        if (onDisk[i] !== byteAt(i)) {
          bad = i;
          break;
        }
      }
      expect(bad, `round ${round}: first wrong byte`).toBe(-1);
      rounds.push(`${synced} synced, ${onDisk.length} on disk`);
    }
    console.log(`[write-stream faults] SIGKILL rounds: ${rounds.join('; ')}`);
  });
});

describe('cut short', () => {
  it('destroy() mid-write: close, descriptor closed, the file as long as bytesWritten, nothing in flight', async () => {
    for (let round = 0; round < 5; round++) {
      const file = path.join(disk.dir, `destroyed-${round}.bin`);
      const before = fdCount();
      const stream = createWriteStream(file);
      const data = dataOf(round, 32 * MiB);
      let written = 0;
      stream.on('drain', () => undefined);
      const stopAt = (round + 1) * 3 * MiB + round * 1001;
      const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
      while (written < stopAt) {
        const ok = stream.write(data.subarray(written, written + 262_147));
        written += 262_147;
        if (!ok) await new Promise<void>((resolve) => stream.once('drain', resolve));
      }
      stream.destroy();
      await closed;
      const onDisk = fs.readFileSync(file);
      expect(onDisk.length).toBe(stream.bytesWritten);
      expect(onDisk.equals(data.subarray(0, onDisk.length))).toBe(true);
      expect(fdCount()).toBe(before);
      expect(contextStats()?.inFlight ?? 0).toBe(0);
    }
  });

  it('an AbortSignal mid-write: AbortError, then close; descriptor closed; file trimmed', async () => {
    const file = path.join(disk.dir, 'aborted.bin');
    const before = fdCount();
    const controller = new AbortController();
    const stream = createWriteStream(file, { signal: controller.signal });
    const data = dataOf(9, 16 * MiB);
    const events: string[] = [];
    stream.on('error', (error) => events.push(`error ${error.name}`));
    const closed = new Promise<void>((resolve) => stream.once('close', () => resolve(void events.push('close'))));
    for (let offset = 0; offset < 5 * MiB; offset += 65536) {
      if (!stream.write(data.subarray(offset, offset + 65536)))
        await new Promise<void>((resolve) => stream.once('drain', resolve));
    }
    controller.abort();
    await closed;
    expect(events).toEqual(['error AbortError', 'close']);
    const onDisk = fs.readFileSync(file);
    expect(onDisk.length).toBe(stream.bytesWritten);
    expect(onDisk.equals(data.subarray(0, onDisk.length))).toBe(true);
    expect(fdCount()).toBe(before);
    expect(contextStats()?.inFlight ?? 0).toBe(0);
  });
});

describe('btrfs', () => {
  const skip = btrfs!.skipReason;
  it.skipIf(skip !== undefined || !kernel)(
    `is written through node:fs, so the event loop is never held by a synchronous direct write${skip ? ` [SKIPPED: ${skip}]` : ''}`,
    async () => {
      const file = path.join(btrfs!.dir, 'btrfs.bin');
      const data = dataOf(3, 8 * MiB + 5);
      const before = contextStats()?.submitted ?? 0;
      const stream = createWriteStream(file);
      expect(await produce(stream, data, 1 << 20)).toBeNull();
      expect(fs.readFileSync(file).equals(data)).toBe(true);
      expect((contextStats()?.submitted ?? 0) - before).toBe(0);
    },
  );
});
