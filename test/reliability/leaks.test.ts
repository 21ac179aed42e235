/**
 * Leaks: 10,000 open/write/read/close cycles and 1,000 streams destroyed mid-flight, in a
 * fresh process (test/fixtures/leak-cycles.mjs), with what the process holds sampled after a warm-up
 * and at 20 checkpoints of each run (test/fixtures/resources.mjs), each after gc() and malloc_trim(0)
 * (test/support/malloc-probe.c).
 *
 * Descriptors and AIO contexts are exact: the same count at every checkpoint. Memory is judged on the
 * second half of each run, once warm (V8 sizes its heap up in steps, and lazily made machinery belongs
 * in the baseline): a leak grows with the work done, so the second 5,000 cycles (or 500 streams) must
 * add less than the bounds below. Each growth is the Theil-Sen trend of the 11 checkpoints from the
 * half to the end (the median of their pairwise slopes), times the half's length, so one sample that
 * lands on a passing V8 or glibc step neither fails nor passes the check alone.
 * - Live memory, exact counts: JavaScript objects (heapUsed), the bytes behind Buffers (arrayBuffers,
 *   aiofs's aligned buffers included) and glibc's live allocations (the addon's own memory included):
 *   at most 2 MiB each, below a leak of 210 bytes per cycle or 4 KiB per stream.
 * - RSS, after malloc_trim: at most 16 MiB (a leak of ~3.3 KiB per cycle or ~33 KiB per stream).
 *   Without the trim, RSS swung by up to 27 MiB between samples with no leak: glibc kept 32 MiB of
 *   free chunks inside its main arena after 30,000 cycles while live allocations grew by 0.4 MiB.
 */
import { describe, expect, it } from 'vitest';

import { median } from '../../bench/lib/stats.mjs';
import { backend } from '../../dist/index.js';
import { mountDisk } from '../support/filesystems';
import { buildMallocProbe } from '../support/malloc-probe';
import type { Resources } from '../support/resources';
import { runFixture } from '../support/run-fixture';

const kernel = backend.name === 'kernel-aio';
if (!kernel) console.log(`[reliability leaks] SKIPPED: backend is node-fs (${backend.reason})`);
const disk = await mountDisk('rel-leaks');
// Under scripts/asan.sh ASan's allocator replaces glibc's and holds freed memory in quarantine.
const asan = process.env.LD_PRELOAD?.includes('libasan') ?? false;
const probe = kernel && !asan ? buildMallocProbe() : undefined;
if (asan) console.log("[reliability leaks] memory not bounded under ASan (its allocator, with quarantine, replaces glibc's)");
else if (probe?.skipReason) console.log(`[reliability leaks] memory NOT bounded: ${probe.skipReason}`);

/** One checkpoint: what the process held after `done` cycles (or streams). */
interface Sample extends Resources {
  done: number;
}

const LIVE_SLACK_MIB = 2;
const RSS_SLACK_MIB = 16;

/** Theil-Sen: the median of the slopes between every two samples, in MiB per unit of `done`. */
function trend(samples: Sample[], value: (sample: Sample) => number): number {
  const slopes: number[] = [];
  for (let i = 0; i < samples.length; i++) {
    for (let j = i + 1; j < samples.length; j++)
      slopes.push((value(samples[j]!) - value(samples[i]!)) / (samples[j]!.done - samples[i]!.done));
  }
  return median(slopes);
}

function expectFlat(label: string, total: number, baseline: Sample, samples: Sample[]): void {
  const column = (key: keyof Sample) => `${key} ${samples.map((sample) => sample[key]).join(' ')}`;
  console.log(
    `[reliability leaks] ${label}: baseline ${JSON.stringify(baseline)}\n  ${['rssMiB', 'mallocMiB', 'heapUsedMiB', 'arrayBuffersMiB'].map((key) => column(key as keyof Sample)).join('\n  ')}`,
  );
  expect(samples.length).toBe(20);
  for (const sample of samples) {
    expect(sample.fds, `${label}: open descriptors after ${sample.done}`).toBe(baseline.fds);
    expect(sample.aioContexts, `${label}: AIO contexts of the process after ${sample.done}`).toBe(baseline.aioContexts);
  }
  const secondHalf = samples.filter((sample) => sample.done >= total / 2);
  const growth = (value: (sample: Sample) => number) => +(trend(secondHalf, value) * (total / 2)).toFixed(2);
  const grew = {
    heapUsed: growth((sample) => sample.heapUsedMiB),
    arrayBuffers: growth((sample) => sample.arrayBuffersMiB),
    malloc: probe?.path ? growth((sample) => sample.mallocMiB!) : null,
    rss: probe?.path ? growth((sample) => sample.rssMiB) : null,
  };
  console.log(`[reliability leaks] ${label}: growth over the second half (MiB) ${JSON.stringify(grew)}`);
  expect(grew.heapUsed, `${label}: live JavaScript growth over the second half (MiB)`).toBeLessThan(LIVE_SLACK_MIB);
  expect(grew.arrayBuffers, `${label}: Buffer memory growth over the second half (MiB)`).toBeLessThan(LIVE_SLACK_MIB);
  if (grew.malloc === null || grew.rss === null) return;
  expect(grew.malloc, `${label}: live malloc growth over the second half (MiB)`).toBeLessThan(LIVE_SLACK_MIB);
  expect(grew.rss, `${label}: RSS growth over the second half, after malloc_trim (MiB)`).toBeLessThan(RSS_SLACK_MIB);
}

describe.skipIf(!kernel)('leaks', () => {
  it('10,000 open/write/read/close cycles and 1,000 streams destroyed mid-flight hold no more descriptors, contexts or memory', () => {
    const run = runFixture('leak-cycles.mjs', ['10000', '1000'], {
      nodeFlags: ['--expose-gc'],
      env: { AIOFS_TEST_DIR: disk.dir, AIOFS_MALLOC_PROBE: probe?.path ?? '' },
      timeoutMs: 300_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const r = run.report as Record<string, unknown> &
      Record<`${'cycles' | 'streams'}Baseline`, Sample> &
      Record<`${'cycles' | 'streams'}Samples`, Sample[]>;
    console.log(`[reliability leaks] ${r.cycles} cycles in ${r.cyclesMs} ms, ${r.streams} streams in ${r.streamsMs} ms`);
    expect(r).toMatchObject({ backend: 'kernel-aio', cycles: 10_000, wrong: 0, streams: 1000, streamProblems: [], inFlight: 0 });
    expect(r.cyclesBaseline.aioContexts).toBe(1); // this thread's one context, from the first cycle on
    expectFlat('cycles', 10_000, r.cyclesBaseline, r.cyclesSamples);
    expectFlat('streams', 1000, r.streamsBaseline, r.streamsSamples);
  }, 320_000);
});
