// Which backend runs, and why: kernel AIO here, node:fs when forced or when kernel AIO is unavailable.
import { describe, expect, it } from 'vitest';

import { backend } from '../dist/index.js';
import { runFixture } from './support/run-fixture.js';

describe('backend', () => {
  it('uses kernel AIO on Linux when nothing stands in the way', () => {
    const run = runFixture('backend-report.mjs');
    expect(run.status, run.stderr).toBe(0);
    console.log(`backend here: ${String(run.report.name)} (${String(run.report.reason)})`);
    if (process.platform === 'linux' && process.env.AIOFS_BACKEND === undefined) {
      expect(run.report.name).toBe('kernel-aio');
      expect(run.report.reason).toMatch(/kernel AIO/);
      // A handle's backend tells the alignment its direct I/O keeps: statx's, where the kernel reports it.
      const [memory, offset, reported] = run.report.statxAlignment as [number, number, number];
      expect(run.report.fileBackend).toEqual({
        name: 'kernel-aio',
        reason: 'regular file with direct I/O',
        directIoAlignment: reported !== 0 ? { memory, offset } : { memory: 4096, offset: 4096 },
      });
      // The round trip went through aiofs: kernel AIO requests, blocking jobs or copies from the page cache.
      const stats = run.report.stats as { submitted: number; jobs: number; cachedReads: number };
      expect(stats.submitted + stats.jobs + stats.cachedReads).toBeGreaterThan(0);
    }
    expect(run.report).toMatchObject({ roundTrip: true, readOk: true });
  });

  it.skipIf(backend.name !== 'kernel-aio')(
    "says whether it set glibc's malloc thresholds, and leaves them alone when told",
    () => {
      const tuned = runFixture('backend-report.mjs');
      expect(tuned.status, tuned.stderr).toBe(0);
      expect(tuned.report.reason).toMatch(
        /glibc malloc keeps large buffers in its heap \(M_MMAP_THRESHOLD 32 MiB, M_TRIM_THRESHOLD 64 MiB/,
      );
      const untouched = runFixture('backend-report.mjs', [], { env: { AIOFS_MALLOC_TUNING: '0' } });
      expect(untouched.status, untouched.stderr).toBe(0);
      expect(untouched.report).toMatchObject({ name: 'kernel-aio', roundTrip: true, readOk: true });
      expect(untouched.report.reason).toMatch(/glibc malloc left as it is \(AIOFS_MALLOC_TUNING=0\)$/);
    },
  );

  it('falls back to node:fs when AIOFS_BACKEND=node-fs, and says so', () => {
    const run = runFixture('backend-report.mjs', [], { env: { AIOFS_BACKEND: 'node-fs' } });
    expect(run.status, run.stderr).toBe(0);
    expect(run.report).toMatchObject({
      name: 'node-fs',
      reason: 'forced by AIOFS_BACKEND=node-fs',
      fileBackend: { name: 'node-fs', reason: 'forced by AIOFS_BACKEND=node-fs' },
      roundTrip: true,
      readOk: true,
      stats: null,
    });
  });

  it('describes itself as JSON', () => {
    expect(JSON.parse(JSON.stringify(backend))).toEqual({ name: backend.name, reason: backend.reason });
  });
});
