/**
 * readFile by path where the path or the file moves under it, against node:fs: a file replaced by
 * rename between two reads, a file growing or truncated while it is read, paths through symlinks
 * (to a file, through a linked directory, dangling, a loop), /proc files (whose fstat says 0 bytes);
 * each warm (the cached open, lib/whole-file.ts) and, as root, after drop_caches (the open a job).
 * And the fast path's promise, on the native calls themselves: after drop_caches the cached open
 * answers EAGAIN having read nothing from the device, and a RWF_NOWAIT read of pages not in memory
 * answers a miss without filling the buffer.
 *
 * Needs a fresh dist/ (npm run build).
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { MISSED, loaded } from '../dist/binding.js';
import { backend, contextStats } from '../dist/index.js';
import * as aiofs from '../dist/promises.js';
import { dropCaches as dropCachesAs, evictFromPageCache } from './support/page-cache.mjs';

const kernel = backend.name === 'kernel-aio';
if (!kernel) console.log(`read-file-edges: skipped, backend is node-fs (${backend.reason})`);

let dir: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(join(process.env.AIOFS_TEST_DIR ?? tmpdir(), 'aiofs-read-file-edges-'));
  await aiofs.readFile(__filename); // the context exists from here
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** `size` bytes of a pattern no two 4-byte words of which repeat within a file. */
function pattern(size: number, salt: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i + 4 <= size; i += 4) out.writeUInt32LE((i ^ (salt * 0x9e3779b1)) >>> 0, i);
  return out;
}

const dropCaches = () => dropCachesAs('read-file-edges');

/** What a caller can observe of an error. */
function shape(error: unknown): Record<string, unknown> {
  const e = error as NodeJS.ErrnoException;
  return { name: e.name, code: e.code, errno: e.errno, syscall: e.syscall, path: e.path, message: e.message };
}

/** readFile of `file` by aiofs and by node:fs: both results, or both errors' shapes. */
async function both(file: string): Promise<[unknown, unknown]> {
  const settle = (p: Promise<Buffer>) => p.then((b) => b, shape);
  return [await settle(aiofs.readFile(file)), await settle(fsp.readFile(file))];
}

const delta = (before: NonNullable<ReturnType<typeof contextStats>>) => {
  const now = contextStats()!;
  return { cachedOpens: now.cachedOpens - before.cachedOpens, cachedOpenMisses: now.cachedOpenMisses - before.cachedOpenMisses };
};

describe.skipIf(!kernel).each(['warm', 'cold'] as const)('readFile by path, %s', (mode) => {
  /** Drops the caches for the cold variant; false when it cannot (the test then skips). */
  const prepare = () => mode === 'warm' || dropCaches();

  it('of a file replaced by rename between two reads: each read returns the file the path named at its call', async (ctx) => {
    const file = join(dir, `renamed-${mode}`);
    const first = pattern(70_000, 1);
    const second = pattern(5_000, 2);
    fs.writeFileSync(file, first);
    fs.writeFileSync(`${file}.new`, second);
    if (!prepare()) return ctx.skip();
    const before = contextStats()!;
    const a = await aiofs.readFile(file);
    fs.renameSync(`${file}.new`, file);
    const b = await aiofs.readFile(file);
    expect(a.equals(first)).toBe(true);
    expect(b.equals(second)).toBe(true);
    // Warm, both opens came from the dentry cache; cold, the first missed it (the second may find the
    // renamed file's new dentry, which the rename just made).
    if (mode === 'warm') expect(delta(before)).toEqual({ cachedOpens: 2, cachedOpenMisses: 0 });
    else expect(delta(before).cachedOpenMisses).toBeGreaterThanOrEqual(1);
  });

  it('of a file growing while read: a prefix of the file, at least as long as it was at the call, never padding', async (ctx) => {
    const file = join(dir, `growing-${mode}`);
    const start = pattern(3 * 1024 * 1024 + 123, 3);
    const more = pattern(2 * 1024 * 1024, 4);
    fs.writeFileSync(file, start);
    if (!prepare()) return ctx.skip();
    const reading = aiofs.readFile(file);
    fs.appendFileSync(file, more);
    const got = await reading;
    const whole = Buffer.concat([start, more]);
    expect(got.length).toBeGreaterThanOrEqual(start.length);
    expect(got.length).toBeLessThanOrEqual(whole.length);
    expect(got.equals(whole.subarray(0, got.length))).toBe(true);
  });

  it('of a file truncated while read: a prefix of what it held, never bytes it did not hold', async (ctx) => {
    const file = join(dir, `truncated-${mode}`);
    const start = pattern(24 * 1024 * 1024, 5);
    fs.writeFileSync(file, start);
    if (!prepare()) return ctx.skip();
    const reading = aiofs.readFile(file);
    fs.truncateSync(file, 1024 * 1024 + 7);
    const got = await reading;
    expect(got.length).toBeGreaterThanOrEqual(1024 * 1024 + 7);
    expect(got.length).toBeLessThanOrEqual(start.length);
    expect(got.equals(start.subarray(0, got.length))).toBe(true);
  });

  it("through symlinks: to a file, through a linked directory, dangling and in a loop, node's bytes or errors", async (ctx) => {
    const sub = join(dir, `sub-${mode}`);
    fs.mkdirSync(sub);
    const target = join(sub, 'target');
    fs.writeFileSync(target, pattern(10_000, 6));
    const links = {
      toFile: join(dir, `to-file-${mode}`),
      throughDir: join(dir, `to-dir-${mode}`, 'target'),
      dangling: join(dir, `dangling-${mode}`),
      loop: join(dir, `loop-${mode}`),
    };
    fs.symlinkSync(target, links.toFile);
    fs.symlinkSync(sub, join(dir, `to-dir-${mode}`));
    fs.symlinkSync(join(dir, 'no-such-file'), links.dangling);
    fs.symlinkSync(links.loop, links.loop);
    if (!prepare()) return ctx.skip();
    for (const [name, link] of Object.entries(links)) {
      const [fromAiofs, fromNode] = await both(link);
      expect(fromAiofs, name).toEqual(fromNode);
    }
    expect(Buffer.isBuffer((await both(links.throughDir))[0])).toBe(true);
  });

  it('of /proc files, whose fstat says 0 bytes: all of their contents, as node reads them', async (ctx) => {
    if (!prepare()) return ctx.skip();
    for (const file of ['/proc/version', '/proc/sys/kernel/osrelease', '/proc/self/cmdline', '/proc/filesystems']) {
      expect(fs.statSync(file).size, file).toBe(0);
      const [fromAiofs, fromNode] = await both(file);
      expect(Buffer.isBuffer(fromAiofs) && (fromAiofs as Buffer).length > 0, file).toBe(true);
      expect(fromAiofs, file).toEqual(fromNode);
    }
  });
});

/** Bytes this process has had read from a block device (/proc/self/io, read_bytes). */
function deviceReadBytes(): number {
  return Number(/^read_bytes: (\d+)$/m.exec(fs.readFileSync('/proc/self/io', 'latin1'))![1]);
}

describe.skipIf(!kernel)("the fast path's calls never wait for the device", () => {
  it('after drop_caches the cached open answers EAGAIN and this process has read nothing from the device', (ctx) => {
    const file = join(dir, 'never-read');
    fs.writeFileSync(file, pattern(65_536, 7));
    if (!dropCaches()) return ctx.skip();
    const binding = loaded.binding!;
    const before = deviceReadBytes();
    const opened = binding.openCached(file);
    const after = deviceReadBytes();
    expect(opened).toBe(-constants.errno.EAGAIN);
    expect(after - before).toBe(0);
  });

  it('a RWF_NOWAIT read of pages not in memory answers a miss and leaves the buffer as it was', () => {
    const file = join(dir, 'not-cached');
    fs.writeFileSync(file, pattern(1024 * 1024, 8));
    evictFromPageCache(file);
    const fd = fs.openSync(file, 'r');
    try {
      const binding = loaded.binding!;
      const target = Buffer.alloc(256 * 1024, 0xee);
      const result = binding.readCached(fd, target, 512 * 1024);
      expect(result).toBeLessThanOrEqual(MISSED);
      // What it did copy before the miss (nothing, for an evicted file) is all it wrote.
      const copied = MISSED - result;
      expect(copied).toBe(0);
      expect(target.every((b) => b === 0xee)).toBe(true);
    } finally {
      fs.closeSync(fd);
    }
  });
});
