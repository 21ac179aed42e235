// readFile by path in one job on aiofs's threads (lib/whole-file.ts, readFileInJob): an open that
// missed the dentry cache reads a small file whole in the same job (one round trip, not two). Bytes,
// buffer sizes and errors stay node's; the counters show which path a call took.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { backend, contextStats } from '../dist/index.js';
import { dropCaches as dropCachesAs } from './support/page-cache.mjs';
import * as aiofs from '../dist/promises.js';

const kernel = backend.name === 'kernel-aio';
if (!kernel) console.log(`read-file-job: skipped, backend is node-fs (${backend.reason})`);

let dir: string;
let n = 0;

beforeAll(() => {
  dir = fs.mkdtempSync(join(process.env.AIOFS_TEST_DIR ?? tmpdir(), 'aiofs-read-file-job-'));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function fileWith(bytes: Buffer): string {
  const file = join(dir, `f${n++}.bin`);
  fs.writeFileSync(file, bytes);
  return file;
}

const COUNTED = ['cachedOpens', 'cachedOpenMisses', 'cachedReads', 'jobs', 'submitted'] as const;
type Counts = Record<(typeof COUNTED)[number], number>;

function counts(): Counts {
  const s = contextStats()!;
  return Object.fromEntries(COUNTED.map((k) => [k, s[k]])) as Counts;
}

/** A new turn of the event loop: one whose budget for work on the loop is not spent (lib/turn-budget.ts). */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

function since(before: Counts): Counts {
  const now = counts();
  return Object.fromEntries(Object.keys(now).map((k) => [k, now[k as keyof Counts] - before[k as keyof Counts]])) as Counts;
}

const dropCaches = () => dropCachesAs('read-file-job');

/** What a caller can observe of an error. */
function shape(error: unknown): Record<string, unknown> {
  const e = error as NodeJS.ErrnoException;
  return { name: e.name, code: e.code, errno: e.errno, syscall: e.syscall, path: e.path, message: e.message };
}

describe.skipIf(!kernel)('readFile in one job', () => {
  it('after the dentry cache is dropped, a small file is opened and read in one job, a larger one opened there and read on', async (ctx) => {
    const sizes = [1, 4096, 65_535, 65_536, 65_537, 300_000];
    const files = sizes.map((size) => ({ size, file: fileWith(randomBytes(size)) }));
    await aiofs.readFile(files[0].file); // the context exists from here
    if (!dropCaches()) {
      ctx.skip();
      return;
    }
    for (const { size, file } of files) {
      await nextTurn();
      const before = counts();
      const got = await aiofs.readFile(file);
      const d = since(before);
      expect(got.equals(fs.readFileSync(file)), `${size} bytes`).toBe(true);
      expect(got.buffer.byteLength, `${size} bytes: a buffer of the file's own size`).toBe(size);
      expect(d.cachedOpenMisses, `${size} bytes`).toBe(1);
      // Up to 64 KiB the job reads the file too; past it, the job hands its descriptor over and the file
      // is read on by the usual route (a job or kernel AIO).
      if (size <= 65_536) expect(d, `${size} bytes`).toMatchObject({ jobs: 1, cachedReads: 0, submitted: 0 });
      else expect(d.jobs + d.submitted, `${size} bytes`).toBeGreaterThan(1);
    }
  });

  it("after the dentry cache is dropped, a missing path, a directory and a FIFO behave as node:fs's readFile", async (ctx) => {
    const missing = join(dir, 'no-such-file');
    const sub = join(dir, 'sub');
    fs.mkdirSync(sub);
    const fifo = join(dir, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    if (!dropCaches()) {
      ctx.skip();
      return;
    }
    const errors = await Promise.all(
      [missing, sub].map(async (path) => [
        shape(await fsp.readFile(path).catch((e: unknown) => e)),
        shape(await aiofs.readFile(path).catch((e: unknown) => e)),
      ]),
    );
    for (const [fromNode, fromAiofs] of errors) expect(fromAiofs).toEqual(fromNode);
    fs.writeFileSync('/proc/sys/vm/drop_caches', '2');
    const writer = spawn('sh', ['-c', 'printf "through the fifo" > "$0"', fifo], { stdio: 'ignore' });
    const writerDone = new Promise((resolve) => writer.on('exit', resolve));
    expect(await aiofs.readFile(fifo, 'utf8')).toBe('through the fifo');
    await writerDone;
  });
});
