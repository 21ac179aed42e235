/**
 * Faults, each ending in an fs-style error or in fs's outcome, and a process that keeps
 * working: EMFILE under a low `ulimit -n` (a child, test/fixtures/emfile.mjs), EACCES for write
 * streams (a child as uid 65534), EBADF from a descriptor closed under a stream, a file truncated
 * while it is read, a file unlinked while open. Covered elsewhere: ENOSPC for promises on a small
 * tmpfs and a small ext4 (test/promises-differential.test.ts) and for write streams
 * (test/write-stream-faults.test.ts); EACCES for promises and read streams (the differential suites);
 * fs.aio-max-nr used up (test/aio-max-nr.serial.test.ts, test/reliability/aio-budget.serial.test.ts).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

import { backend, contextStats, createReadStream, createWriteStream } from '../../dist/index.js';
import { open } from '../../dist/promises.js';
import { nobodySkipReason, outcomesAsNobody, patternBytes } from '../support/differential';
import { mountDisk } from '../support/filesystems';
import { lastLineReport } from '../support/run-fixture';

const MiB = 1024 * 1024;
const kernel = backend.name === 'kernel-aio';
if (!kernel) console.log(`[reliability faults] backend is node-fs (${backend.reason}): the faults run on node:fs`);
const disk = await mountDisk('rel-faults');
const data = Buffer.from(patternBytes(41, 12 * MiB));
const fdCount = () => fs.readdirSync('/proc/self/fd').length;

/** Collects a read stream: its bytes, its events in order, and its error. */
function drain(stream: NodeJS.ReadableStream & { on: NodeJS.ReadableStream['on'] }, onChunk?: (total: number) => void) {
  return new Promise<{ bytes: Buffer; events: string[]; error?: NodeJS.ErrnoException }>((resolve) => {
    const chunks: Buffer[] = [];
    const events: string[] = [];
    let error: NodeJS.ErrnoException | undefined;
    let total = 0;
    stream.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      total += chunk.length;
      onChunk?.(total);
    });
    stream.on('end', () => events.push('end'));
    stream.on('error', (e: NodeJS.ErrnoException) => {
      error ??= e;
      events.push(`error ${e.code}`);
    });
    stream.on('close', () => resolve({ bytes: Buffer.concat(chunks), events, error }));
  });
}

/** The process goes on: a fresh file round-trips through a write stream, a read stream and a handle. */
async function stillWorks(name: string): Promise<void> {
  const file = path.join(disk.dir, `${name}.after`);
  const bytes = data.subarray(0, 3 * MiB + 17);
  await new Promise<void>((resolve, reject) =>
    createWriteStream(file)
      .on('error', reject)
      .on('close', () => resolve())
      .end(bytes),
  );
  expect((await drain(createReadStream(file))).bytes.equals(bytes)).toBe(true);
  const fh = await open(file, 'r+');
  const { bytesRead, buffer } = await fh.read(Buffer.alloc(1000), 0, 1000, 5000);
  await fh.close();
  expect(bytesRead).toBe(1000);
  expect(buffer.equals(bytes.subarray(5000, 6000))).toBe(true);
  fs.rmSync(file);
}

describe('EMFILE', () => {
  it('with `ulimit -n 64`, open, streams and readFile fail as node:fs fails, and work again once descriptors are free', () => {
    const fixture = fileURLToPath(new URL('../fixtures/emfile.mjs', import.meta.url));
    const child = spawnSync('sh', ['-c', 'ulimit -n 64 && exec "$0" "$@"', process.execPath, fixture, disk.dir], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    const { results } = lastLineReport(child.stdout) as { results: Record<'fs' | 'aiofs', Record<string, unknown>> };
    console.log(
      `[reliability faults] EMFILE: fs opened ${results.fs.opened} handles, aiofs ${results.aiofs.opened} (two descriptors each: the file's and its O_DIRECT one)`,
    );
    expect(results.fs.openError).toMatchObject({ code: 'EMFILE', syscall: 'open' });
    const { opened: _fsOpened, backendAfter: _fsBackend, ...fsOutcome } = results.fs;
    const { opened, backendAfter, ...aiofsOutcome } = results.aiofs;
    expect(aiofsOutcome).toEqual({
      ...fsOutcome,
      writeStream: {
        ...(fsOutcome.writeStream as object),
        message: (fsOutcome.writeStream as { message: string }).message.replace('emfile-fs', 'emfile-aiofs'),
      },
    });
    expect(opened).toBeGreaterThan(0);
    expect(backendAfter).toBe(kernel ? 'kernel-aio' : 'node-fs');
  });
});

describe('EACCES', () => {
  const skip = nobodySkipReason();
  it.skipIf(skip !== undefined)(
    `write streams on a chmod-000 file, as uid 65534: fs's error, then a writable file works${skip ? ` [SKIPPED: ${skip}]` : ''}`,
    async () => {
      const locked = path.join(disk.dir, 'locked.bin');
      const open777 = fs.mkdtempSync(path.join(disk.dir, 'writable-'));
      fs.chmodSync(open777, 0o777);
      fs.writeFileSync(locked, 'secret');
      fs.chmodSync(locked, 0o000);
      const script = `
      import * as fs from 'node:fs';
      import { pathToFileURL } from 'node:url';
      const [index, locked, writable] = process.argv.slice(-3);
      process.setgid(65534);
      process.setuid(65534);
      const aiofs = await import(pathToFileURL(index).href);
      const run = (api, file, flags) => new Promise((resolve) => {
        const s = api.createWriteStream(file, { flags });
        let failed = false;
        s.on('error', (e) => resolve((failed = true) && { code: e.code, errno: e.errno, syscall: e.syscall, message: e.message }));
        s.on('close', () => failed || resolve({ ok: fs.readFileSync(file, 'utf8') }));
        s.end('written');
      });
      const results = {};
      for (const [label, api] of [['fs', fs], ['aiofs', aiofs]]) {
        results[label] = { w: await run(api, locked, 'w'), 'r+': await run(api, locked, 'r+'), after: await run(api, writable + '/' + label, 'w') };
      }
      console.log(JSON.stringify({ uid: process.getuid(), results }));
    `;
      const index = fileURLToPath(new URL('../../dist/index.mjs', import.meta.url));
      const result = await outcomesAsNobody(script, [index, locked, open777]);
      expect(result.skipReason).toBeUndefined();
      console.log(`[reliability faults] EACCES write streams: ${JSON.stringify(result.aiofs)}`);
      expect((result.fs as Record<string, { code?: string }>).w.code).toBe('EACCES');
      expect(result.aiofs).toEqual(result.fs);
      expect((result.aiofs as Record<string, unknown>).after).toEqual({ ok: 'written' });
    },
    60_000,
  );
});

describe('EBADF: the descriptor closed under a stream', () => {
  for (const cache of ['auto', 'bypass'] as const) {
    it(`read stream (cache: ${cache}): an EBADF error as fs gives, correct bytes up to it, the stream closed`, async () => {
      const file = path.join(disk.dir, `ebadf-${cache}.bin`);
      fs.writeFileSync(file, data);
      const fd = fs.openSync(file, 'r');
      const stream = createReadStream(null as unknown as string, { fd, cache });
      let closedFd = false;
      const { bytes, error } = await drain(stream, () => {
        if (!closedFd) fs.closeSync(fd);
        closedFd = true;
      });
      // fs fails the next read(2) or, here, its close(2); aiofs reads through its own O_DIRECT
      // descriptor, so where the bytes come from the device (bypass) it may read on to the end first.
      expect(error).toMatchObject({
        code: 'EBADF',
        errno: -9,
        message: expect.stringMatching(/^EBADF: bad file descriptor, (read|close)$/),
      });
      expect(bytes.equals(data.subarray(0, bytes.length))).toBe(true);
      expect(contextStats()?.inFlight ?? 0).toBe(0);
      await stillWorks(`ebadf-read-${cache}`);
    });
  }

  it('write stream: an EBADF error, bytesWritten bytes on disk, the stream closed', async () => {
    const file = path.join(disk.dir, 'ebadf-write.bin');
    const fd = fs.openSync(file, 'w');
    const stream = createWriteStream(null as unknown as string, { fd });
    let error: NodeJS.ErrnoException | undefined;
    stream.on('error', (e: NodeJS.ErrnoException) => (error ??= e));
    const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
    for (let i = 0; i < 8 && !stream.destroyed; i++) {
      if (i === 3) fs.closeSync(fd);
      if (!stream.write(data.subarray(i * MiB, (i + 1) * MiB)))
        await new Promise<void>((resolve) =>
          stream.destroyed ? resolve() : stream.once('drain', resolve).once('close', resolve),
        );
    }
    stream.end();
    await closed;
    expect(error).toMatchObject({
      code: 'EBADF',
      errno: -9,
      message: expect.stringMatching(/^EBADF: bad file descriptor, (write|close)$/),
    });
    const onDisk = fs.readFileSync(file);
    expect(onDisk.length).toBe(stream.bytesWritten);
    expect(onDisk.equals(data.subarray(0, onDisk.length))).toBe(true);
    await stillWorks('ebadf-write');
  });
});

describe('a file truncated while it is read', () => {
  for (const cache of ['auto', 'bypass'] as const) {
    it(`read stream (cache: ${cache}): ends without error; every byte is the file's, none past what was there`, async () => {
      const file = path.join(disk.dir, `truncated-${cache}.bin`);
      fs.writeFileSync(file, data);
      const cutTo = 3 * MiB + 1234;
      let cut = false;
      const { bytes, events } = await drain(createReadStream(file, { cache }), (total) => {
        if (!cut && total >= MiB) {
          fs.truncateSync(file, cutTo);
          cut = true;
        }
      });
      expect(events).toEqual(['end']);
      // Chunks read before the cut are the old bytes; reading stops at the new end of file (or at
      // what was in flight before the cut): never zeros or bytes past the data.
      expect(bytes.equals(data.subarray(0, bytes.length))).toBe(true);
      expect(bytes.length).toBeGreaterThanOrEqual(cutTo);
      expect(bytes.length).toBeLessThanOrEqual(cutTo + 8 * MiB);
      await stillWorks(`truncated-${cache}`);
    });
  }

  it('FileHandle reads past the new end of file read 0 bytes, before it the old bytes', async () => {
    const file = path.join(disk.dir, 'truncated-handle.bin');
    fs.writeFileSync(file, data);
    const fh = await open(file, 'r');
    const reads = [0, 2 * MiB, 4 * MiB, 8 * MiB].map((position) => fh.read(Buffer.alloc(MiB), 0, MiB, position));
    fs.truncateSync(file, 3 * MiB);
    const settled = await Promise.all(reads);
    for (const [i, { bytesRead, buffer }] of settled.entries()) {
      expect(buffer.subarray(0, bytesRead).equals(data.subarray(i * 2 * MiB, i * 2 * MiB + bytesRead))).toBe(true);
    }
    expect((await fh.read(Buffer.alloc(MiB), 0, MiB, 4 * MiB)).bytesRead).toBe(0);
    expect((await fh.read(Buffer.alloc(MiB), 0, MiB, 2 * MiB + 10)).bytesRead).toBe(MiB - 10);
    await fh.close();
  });
});

describe('a file unlinked while open', () => {
  it('reads go on through a handle and a stream; writes land; the descriptors close', async () => {
    const file = path.join(disk.dir, 'unlinked.bin');
    fs.writeFileSync(file, data);
    const before = fdCount();
    const fh = await open(file, 'r+');
    const stream = createReadStream(file);
    await new Promise((resolve) => stream.once('open', resolve));
    fs.unlinkSync(file);
    const streamed = drain(stream);
    const { bytesRead, buffer } = await fh.read(Buffer.alloc(2 * MiB), 0, 2 * MiB, 5 * MiB + 3);
    expect(bytesRead).toBe(2 * MiB);
    expect(buffer.equals(data.subarray(5 * MiB + 3, 7 * MiB + 3))).toBe(true);
    await fh.write(data, 0, MiB, 12 * MiB + 100); // grows the unlinked file
    expect((await fh.read(Buffer.alloc(MiB), 0, MiB, 12 * MiB + 100)).buffer.equals(data.subarray(0, MiB))).toBe(true);
    expect((await fh.stat()).size).toBe(13 * MiB + 100);
    // The stream reads on while the file grows, as fs's would: it may or may not see the write, and
    // while the writer is busy it may see the grow-ahead past it, zeros (README: what a reader sees).
    const { bytes, events } = await streamed;
    const grown = Buffer.concat([data, Buffer.alloc(100), data.subarray(0, MiB)]);
    expect(events).toEqual(['end']);
    expect(bytes.subarray(0, grown.length).equals(grown.subarray(0, bytes.length))).toBe(true);
    expect(bytes.subarray(grown.length).every((byte) => byte === 0)).toBe(true);
    expect(bytes.length).toBeGreaterThanOrEqual(data.length);
    await fh.close();
    expect(fdCount()).toBe(before);
    expect(fs.existsSync(file)).toBe(false);
  });
});
