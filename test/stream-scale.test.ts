/**
 * Streams at server scale: adaptive read-ahead, one memory budget per AIO context, fair
 * share between files. Each case runs a fixture in a fresh process (a fresh context and budget), on the
 * default disk, and prints what it measured:
 *
 *  - a slow consumer of a 1 GiB sparse file (stream-scale-slow-consumer.mjs): once read-ahead has
 *    settled, it reads on demand, so aiofs's bytes (contextStats().bufferedBytes, sampled every 2 ms)
 *    and the Readable's together stay within the highWaterMark, as node's stream does, but for short
 *    excursions after a late read;
 *    when the consumer speeds up, requests, what aiofs holds, and bytes per second grow again;
 *  - 1,000 slow streams of 1 MiB each under the default budget and under 8 MiB (stream-scale-many.mjs):
 *    all complete with the right sha256, and the peak stays inside the budget (see that case for the
 *    exact bound and why);
 *  - 16 streams over 16 files of 64 MiB read from the device at full speed (stream-scale-fairness.mjs):
 *    each within 0.8-1.25x of the median bandwidth, over its whole run and while all compete;
 *  - a budget of one 64 KiB request (stream-scale-tiny-budget.mjs): 50 read and 50 write streams at
 *    once, some readers copying into writers, one consumer waiting for another stream to end: all
 *    finish, bytes right; and the smallest case of that wait, two streams (stream-scale-merge.mjs).
 *
 * budget-probe.mjs counts the budget's decisions inside the fixtures (refusals, turns, requests granted
 * past the limit), which contextStats() does not report. Needs a fresh dist/ and the native addon.
 */
import { afterAll, describe, expect, it } from 'vitest';

import { backend } from '../dist/index.js';
import { mountDisk } from './support/filesystems';
import { runFixture, type FixtureRun } from './support/run-fixture';

const KiB = 1024;
const MiB = 1024 * KiB;
/** The smallest request read-ahead makes (lib/read-ahead.ts MIN_REQUEST), and a stream's default highWaterMark. */
const MIN_REQUEST = 64 * KiB;
const DEFAULT_BUDGET = 32 * MiB; // lib/memory-budget.ts's DEFAULT_MEMORY_BUDGET
const DEFAULT_CHUNK_SIZE = 1 * MiB;

const kernel = backend.name === 'kernel-aio';
if (!kernel) console.log(`[stream scale] SKIPPED: backend is node-fs (${backend.reason})`);
const disk = await mountDisk('stream-scale');
afterAll(() => disk.cleanup());
console.log(`[stream scale] disk: ${disk.description} at ${disk.dir}`);

/** Runs a fixture, prints its report, and checks that it ran to its end. */
function run(label: string, name: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): FixtureRun {
  const result = runFixture(name, args, { env: { AIOFS_MEMORY_BUDGET: undefined, ...env }, timeoutMs });
  console.log(
    `[stream scale] ${label}: ${JSON.stringify(result.report)}${result.stderr ? `\n  stderr: ${result.stderr.trim()}` : ''}`,
  );
  expect(result.stderr).toBe('');
  expect(result.signal).toBeNull();
  expect(result.status).toBe(0);
  expect(result.report.backend).toBe('kernel-aio');
  return result;
}

describe.skipIf(!kernel)('streams at server scale', () => {
  it("a slow consumer of a 1 GiB stream: once settled the stream holds its highWaterMark, as node's does, and speeds up with the consumer", () => {
    // 3 s of a consumer taking 64 KiB every 7 ms (~9 MB/s; one chunk every 7 ms once chunks are 64 KiB),
    // then 1 s at full speed.
    const { report } = run('slow consumer', 'stream-scale-slow-consumer.mjs', [disk.dir, '3', '1', '7', '64k']);
    interface Phase {
      MBps: number;
      bytesPerRequest: number;
      maxBufferedBytes: number;
    }
    interface Settled {
      samples: number;
      maxBufferedBytes: number;
      maxBufferedPlusReadable: number;
      shareWithinOneRequest: number;
      shareWithinHighWaterMark: number;
      longestExcursionMs: number;
    }
    const slow = report.slow as Phase & { settled: Settled };
    const fast = report.fast as Phase;
    const highWaterMark = report.highWaterMark as number;
    expect(report.error).toBeNull();
    expect(report.badChunks).toBe(0);
    expect(highWaterMark).toBe(64 * KiB);
    // bufferedBytes is what aiofs holds (requested and not yet pushed); the Readable's own buffer, up to
    // highWaterMark, is not in it. Read-ahead shrinks to one request of the smallest size while chunks
    // wait for this consumer, then to none ahead (lib/read-ahead.ts: on demand, a request only when the
    // stream asks for data), so after the settling second the stream as a whole (aiofs's bytes plus
    // readableLength) holds its highWaterMark, as node's ReadStream does. Not at every sample: a read
    // late enough that the Readable's buffer runs dry counts as the consumer waiting, and read-ahead
    // grows by design (on this shared machine, a read or a turn of the loop is now and then 10-140 ms
    // late); it must come back within the bound soon after. The largest sample is in the report line.
    expect(slow.settled.samples).toBeGreaterThan(200);
    expect(slow.settled.shareWithinOneRequest).toBeGreaterThanOrEqual(0.9);
    expect(slow.settled.shareWithinHighWaterMark).toBeGreaterThanOrEqual(0.9);
    expect(slow.settled.longestExcursionMs).toBeLessThanOrEqual(500);
    // The consumer speeds up: it waits for data, so requests grow to chunkSize (1 MiB), then more go in
    // flight (up to readAhead, 8), and bytes per second rise well past the slow consumer's.
    expect(fast.bytesPerRequest).toBeGreaterThanOrEqual(512 * KiB);
    expect(slow.bytesPerRequest).toBeLessThan(128 * KiB);
    expect(fast.maxBufferedBytes).toBeGreaterThanOrEqual(2 * DEFAULT_CHUNK_SIZE);
    expect(fast.MBps).toBeGreaterThan(3 * slow.MBps);
  }, 60_000);

  describe('1,000 streams of 1 MiB with slow consumers (4 ms per 64 KiB)', () => {
    const file = `${disk.dir}/many.bin`;
    // The budget's rule (lib/memory-budget.ts): a request that would take the budget past its limit is
    // refused, except for a stream that holds nothing, which may always make one request (so none waits
    // for ever). Exactly: a stream holding bytes never takes the budget past its limit (the probe's
    // ruleViolations), so every byte past the limit belongs to a request made by a stream that held
    // nothing, at most one such request per stream at a time; so
    //   peakBufferedBytes <= budget + (streams open at once) x (their largest request),
    // checked first, with the largest request chunkSize (1 MiB by default, or the 1 MiB range).
    // Read-ahead starts every stream at one 64 KiB request, and that is all such a request needs to be
    // for every stream to progress; the issue's promise ("1,000 streams with slow consumers stay inside
    // the budget") holds only if it is that size, which is the last bound checked:
    //   peakBufferedBytes <= budget + (streams open at once) x 64 KiB.
    // With chunkSize 64 KiB every request is that size (and streams want several in flight, so the
    // budget refuses requests and turns go round). With the default chunkSize, a 1 MiB stream's
    // requests grow (64, 192, 768 KiB) one at a time, each made while the stream holds nothing, so the
    // budget never refuses one (the probe's `refused`) and the peak is ~1,000 x 768 KiB whatever the
    // budget, unless the exemption is held to a small request.
    const cases: { budget: 'default' | '8M'; options: { chunkSize?: number } }[] = [
      { budget: 'default', options: {} },
      { budget: '8M', options: {} },
      { budget: 'default', options: { chunkSize: MIN_REQUEST } },
    ];
    it.each(cases)(
      'budget $budget, options $options: all complete, sha256 match, peak inside the budget',
      ({ budget, options }) => {
        const env = budget === 'default' ? {} : { AIOFS_MEMORY_BUDGET: budget };
        const { report } = run(
          `1,000 streams, budget ${budget}, ${JSON.stringify(options)}`,
          'stream-scale-many.mjs',
          [file, '1000', '4', JSON.stringify(options)],
          env,
        );
        const limit = budget === 'default' ? DEFAULT_BUDGET : 8 * MiB;
        const decisions = report.budget as { ruleViolations: number; largestOverLimit: number };
        const peak = report.peakBufferedBytes as number;
        const mostOpen = report.mostOpen as number;
        const largestRequest = Math.min(options.chunkSize ?? DEFAULT_CHUNK_SIZE, MiB);
        expect(report).toMatchObject({
          streams: 1000,
          completed: 1000,
          mismatched: [],
          errors: [],
          memoryBudget: limit,
          bufferedBytesAtEnd: 0,
        });
        expect(decisions.ruleViolations).toBe(0);
        expect(decisions.largestOverLimit).toBeLessThanOrEqual(largestRequest);
        expect(peak).toBeLessThanOrEqual(limit + mostOpen * largestRequest);
        console.log(
          `[stream scale]   peak ${(peak / MiB).toFixed(1)} MiB; budget ${limit / MiB} MiB + ${mostOpen} streams x 64 KiB = ${((limit + mostOpen * MIN_REQUEST) / MiB).toFixed(1)} MiB; ` +
            `largest request past the limit ${decisions.largestOverLimit / KiB} KiB`,
        );
        expect(
          peak,
          `peakBufferedBytes ${peak} > budget ${limit} + ${mostOpen} streams x one 64 KiB request`,
        ).toBeLessThanOrEqual(limit + mostOpen * MIN_REQUEST);
      },
      60_000,
    );
  });

  it('fairness: 16 streams over 16 files of 64 MiB from the device, each within 0.8-1.25x of the median bandwidth, throughout', () => {
    const { report } = run('fairness', 'stream-scale-fairness.mjs', [disk.dir, '16', '64']);
    expect(report).toMatchObject({ completed: 16, badStamps: 0, errors: [] });
    // Two measures, both asserted: bytes / the stream's own duration (from the common start to its
    // 'end'), and the share while all compete: the slope of each stream's bytes over time in the common
    // window (until the first stream ends). The report line also has a snapshot of each stream's bytes
    // at the window's end, not asserted (a stream delivers in bursts of its read-ahead window).
    // Before the fair share (lib/fair-share.ts), every stream had the same read-ahead and the device
    // served some sooner: in 5 of 37 runs here one stream ran past 1.25x the median to the end (once
    // 3.7x; window slopes up to 4x). With it (LEAD 8 MiB), 24 runs, 10 of them beside a CPU-bound
    // process: own 0.964-1.12x, slope 0.853-1.151x. The failure message has all 16 figures, and the report line whether the page cache
    // served any read.
    const figures =
      `own MB/s ${JSON.stringify(report.ownMBps)} (median ${report.ownMedianMBps}); ` +
      `window slope MB/s ${JSON.stringify(report.slopeMBps)} (median ${report.slopeMedianMBps}, ${report.windowMs} ms)`;
    console.log(
      `[stream scale]   ratios to the median: own ${JSON.stringify(report.ownRatios)}; window slope ${JSON.stringify(report.slopeRatios)}`,
    );
    for (const ratio of [...(report.ownRatios as number[]), ...(report.slopeRatios as number[])]) {
      expect(ratio, figures).toBeGreaterThanOrEqual(0.8);
      expect(ratio, figures).toBeLessThanOrEqual(1.25);
    }
  }, 60_000);

  it('a budget of one 64 KiB request: 50 read and 50 write streams at once all finish, bytes right, no deadlock', () => {
    // Done in 1-3 s here; the fixture's watchdog gives up after 10 s and reports what had not finished.
    const { report } = run('tiny budget', 'stream-scale-tiny-budget.mjs', [disk.dir, '50', '50', '10000']);
    expect(report).toMatchObject({
      memoryBudget: 64 * KiB,
      timedOut: false,
      streams: 100,
      completed: 100,
      unfinished: [],
      wrong: [],
      errors: [],
      bufferedBytesAtEnd: 0,
    });
    // Each stream's share of so small a budget is one 64 KiB request (lib/memory-budget.ts), so a stream
    // asks again only once it holds nothing; every refusal there was became a turn waited. (The turns
    // themselves are exercised by the case below and by the 1,000-stream cases.)
    const decisions = report.budget as { refused: number; turnsWaited: number; ruleViolations: number };
    expect(decisions.turnsWaited).toBe(decisions.refused);
    expect(decisions.ruleViolations).toBe(0);
  }, 60_000);

  it('the budget spent by a stream whose consumer waits for another: that other stream, holding nothing, still gets its requests', () => {
    // The smallest case of the deadlock the budget promises to prevent (stream-scale-merge.mjs).
    const { report } = run('merge', 'stream-scale-merge.mjs', [disk.dir, '5000']);
    expect(report).toMatchObject({ outcome: 'ended', first: MiB, held: MiB, firstEnded: true, heldEnded: true });
  }, 30_000);
});
