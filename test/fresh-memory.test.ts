// Whole-file reads into new memory: a large buffer whose pages are not in memory yet is read into by
// aiofs's threads, never written first by the event loop (lib/whole-file.ts, isFresh; docs/kernel-aio.md,
// "Fresh memory"). The counters show the path: freshMemoryReads, and no io_submit or loop copy for it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loaded } from '../dist/binding.js';
import { backend, contextStats } from '../dist/index.js';
import { open, readFile } from '../dist/promises.js';
import { evictFromPageCache } from './support/page-cache.mjs';
import { runFixture } from './support/run-fixture.js';

const kernel = backend.name === 'kernel-aio';
if (!kernel) console.log(`fresh-memory: skipped, backend is node-fs (${backend.reason})`);

/** Above glibc's largest mmap threshold (aiofs's M_MMAP_THRESHOLD, 32 MiB): every buffer of this size is a new mapping. */
const LARGE = 48 << 20;

let dir: string;
let file: string;
let data: Buffer;

beforeAll(() => {
  dir = mkdtempSync(join(process.env.AIOFS_TEST_DIR ?? tmpdir(), 'aiofs-fresh-memory-'));
  file = join(dir, 'large.bin');
  data = Buffer.allocUnsafe(LARGE);
  for (let i = 0; i < data.length; i += 4) data.writeUInt32LE(i ^ 0x5a5a5a5a, i);
  writeFileSync(file, data);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Counts = Record<'freshMemoryReads' | 'submitted' | 'threadCopies' | 'cachedReads' | 'jobs', number>;

/** What `read` changed of the counters. */
async function counted<T>(read: () => Promise<T>): Promise<{ result: T; delta: Counts }> {
  const keys = ['freshMemoryReads', 'submitted', 'threadCopies', 'cachedReads', 'jobs'] as const;
  const before = contextStats()!;
  const result = await read();
  const after = contextStats()!;
  const delta = Object.fromEntries(keys.map((k) => [k, after[k] - before[k]])) as Counts;
  return { result, delta };
}

describe.skipIf(!kernel)('fresh memory', () => {
  it('resident() tells memory never written from memory in use (mincore)', () => {
    const binding = loaded.binding!;
    const untouched = new Uint8Array(new ArrayBuffer(64 << 20)); // calloc of a new mapping: no page yet
    expect(binding.resident(untouched)).toBe(0);
    untouched.fill(1);
    expect(binding.resident(untouched)).toBe(1);
    expect(binding.resident(Buffer.alloc(100))).toBe(1);
  });

  it('readFile by path of a cached 48 MiB file: read by the threads a piece at a time, no copy on the loop', async () => {
    readFileSync(file, { encoding: 'latin1' }); // cached
    const { result, delta } = await counted(() => readFile(file));
    console.log(`fresh memory, readFile 48 MiB: ${JSON.stringify(delta)}`);
    expect(result.equals(data)).toBe(true);
    expect(delta.freshMemoryReads).toBe(1);
    expect(delta.jobs).toBe(LARGE / (1 << 20)); // one buffered read per 1 MiB piece
    expect(delta.submitted).toBe(0);
    expect(delta.threadCopies).toBe(0);
    expect(delta.cachedReads).toBe(0);
  });

  it('FileHandle.readFile of the same file, from a position part way: the same path, the bytes from there', async () => {
    const fh = await open(file, 'r');
    try {
      await fh.read(Buffer.alloc(4096), 0, 4096, null); // the file position is now 4096
      const { result, delta } = await counted(() => fh.readFile());
      expect(result.equals(data.subarray(4096))).toBe(true);
      expect(delta.freshMemoryReads).toBe(1);
      expect(delta.submitted).toBe(0);
    } finally {
      await fh.close();
    }
  });

  it('readFile of the file out of the page cache: the threads read it from the device, bytes intact', async () => {
    evictFromPageCache(file);
    const { result, delta } = await counted(() => readFile(file));
    expect(result.equals(data)).toBe(true);
    expect(delta.freshMemoryReads).toBe(1);
  });

  it('a 512 KiB readFile into a new mapping (glibc thresholds left alone) is read by a thread, not copied on the loop', () => {
    const run = runFixture('fresh-small-read.mjs', [], { env: { AIOFS_TEST_DIR: dir, AIOFS_MALLOC_TUNING: '0' } });
    console.log(`fresh memory, 512 KiB: ${run.stdout.trim()}`);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.report).toEqual({ freshMemoryReads: 1, cachedReads: 0, same: true });
  });
});
