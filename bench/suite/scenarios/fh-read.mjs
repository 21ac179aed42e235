// Warm 4 KiB FileHandle.read at depth 1 and 16, random offsets over a cached file of 256 MiB (capped at
// --size): the random-read scenario's trial (the same seeded offsets for every contender, every read's
// block header checked, a sample checksummed against the parent's reference, every read timed) with the
// whole file read into the page cache before every trial.
import { warmFile } from '../../lib/cache.mjs';
import { formatSize } from '../../lib/datafile.mjs';
import { nodeContenders } from '../contenders.mjs';
import { dataFiles } from '../data.mjs';
import { addMedians, runRounds, summarizeCase } from '../summary.mjs';
import { checkTarget, fig, figures, loopTarget } from '../targets.mjs';
import { randomReadTrial, randomReads } from './random-read.mjs';

export function fhRead(ctx) {
  const { size, depths, count } = ctx.plan.fhRead;
  const [file] = dataFiles(ctx, 'fh-read', 1, size);
  const { reference } = randomReads(file, size, count);
  const contenders = nodeContenders(ctx);
  const cases = depths.map((depth) => {
    const trials = runRounds(contenders, ctx.plan.runs, (c) => {
      warmFile(file);
      return randomReadTrial(ctx, c, file, count, depth, reference);
    });
    const results = addMedians(
      summarizeCase(contenders, trials, (t) => t.iops),
      trials,
      ['latencyP50Ms', 'latencyP99Ms'],
    );
    return { id: `depth-${depth}`, label: `depth ${depth}`, depth, results };
  });
  return {
    title: `Warm 4 KiB FileHandle.read, ${formatSize(size)} file`,
    unit: 'ops/s',
    higher: true,
    reference: null,
    note:
      `${count.toLocaleString('en-US')} random 4 KiB reads through one FileHandle (fs/promises, aiofs/promises), depth N: N reads in flight; ` +
      'the file read into the page cache before every trial; latency p50/p99 per read in "more"',
    cases,
    targets: [
      checkTarget(
        'FileHandle.read warm 4 KiB >= 2x node:fs io_uring',
        figures(
          cases,
          () => true,
          (r) => fig(r, 'aiofs') / fig(r, 'fs-uring'),
        ),
        { atLeast: 2, why: ctx.ioUring.distinctContender ? undefined : `no node:fs io_uring column: ${ctx.ioUring.summary}` },
      ),
      loopTarget(cases),
    ],
  };
}
