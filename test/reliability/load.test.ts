/**
 * Load: 1,000 streams at once on one thread's AIO context with a ring of 16 requests
 * (test/fixtures/stream-load.mjs): 500 read and 500 write 1 MiB each in 64 KiB pieces, the reads
 * 8,000 requests through the ring, so ~500 wait in the queue for every 16 in the kernel. All must
 * complete with the right bytes, and none may starve: requests reach the kernel in the order they were made, so the streams progress
 * together and the slowest finishes close to the median (measured 1.03x); the bound, 2x, leaves room
 * for a loaded machine and would still catch a stream left behind until the others are done.
 */
import { describe, expect, it } from 'vitest';

import { backend } from '../../dist/index.js';
import { mountDisk } from '../support/filesystems';
import { runFixture } from '../support/run-fixture';

const kernel = backend.name === 'kernel-aio';
if (!kernel) console.log(`[reliability load] SKIPPED: backend is node-fs (${backend.reason})`);
const disk = await mountDisk('rel-load');

describe.skipIf(!kernel)('load', () => {
  it('1,000 concurrent streams on a 16-request ring all complete, correct, none starved', () => {
    const run = runFixture('stream-load.mjs', [disk.dir, '1000'], { env: { AIOFS_QUEUE_DEPTH: '16' }, timeoutMs: 300_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    console.log(`[reliability load] ${JSON.stringify(run.report)}`);
    expect(run.report).toMatchObject({
      backend: 'kernel-aio',
      streams: 1000,
      completed: 1000,
      wrong: 0,
      writtenCorrect: true,
      errors: [],
      capacity: 16,
    });
    expect(run.report.maxBatch).toBeLessThanOrEqual(16);
    // Reads go through the ring (8,000 requests of 64 KiB); writes are blocking jobs on the context's
    // threads, at least one per stream (Writable joins queued chunks into one _writev).
    expect(run.report.submitted).toBeGreaterThanOrEqual(8_000);
    expect(run.report.jobs).toBeGreaterThanOrEqual(500);
    expect(run.report.slowestOverMedian).toBeLessThan(2);
  }, 320_000);
});
