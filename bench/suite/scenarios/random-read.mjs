// Random 4 KiB reads through one FileHandle (fs/promises, aiofs/promises) at depths 1, 16 and 64 over a
// file 4x --size, cold (page cache dropped before every trial, as root; else warm, and said so):
// bench/suite/trials/random-read-trial.mjs, the same seeded offsets for every contender, every read's block
// header checked, every 16th block checksummed against a reference read here with fs.readSync. fio
// (libaio, O_DIRECT) replays the very same offsets from an iolog as the device limit.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dropCaches } from '../../lib/cache.mjs';
import { runNodeTrial } from '../../lib/child.mjs';
import { BLOCK, formatSize } from '../../lib/datafile.mjs';
import { runFioJob, writeIolog } from '../../lib/fio.mjs';
import { randomBlocks } from '../../lib/offsets.mjs';
import { referenceDigest } from '../../lib/verify.mjs';
import { withFio } from '../contenders.mjs';
import { dataFiles } from '../data.mjs';
import { runRounds, summarizeCase } from '../summary.mjs';

const TRIAL = fileURLToPath(new URL('../trials/random-read-trial.mjs', import.meta.url));
const SEED = 1;
const SAMPLE_EVERY = 16;

/** The seeded blocks of `count` reads over `file` and the reference checksum of their sample. */
export function randomReads(file, size, count) {
  const blocks = randomBlocks({ seed: SEED, nBlocks: size / BLOCK, count });
  return { blocks, reference: referenceDigest(file, blocks, SAMPLE_EVERY) };
}

/** One trial of node contender `c`: `count` reads of `file`, `depth` in flight, its sample checked against `reference`. */
export function randomReadTrial(ctx, c, file, count, depth, reference) {
  const r = runNodeTrial(TRIAL, [c.impl, file, count, depth, SEED, SAMPLE_EVERY], c.env, { node: ctx.node });
  if (r.sampleDigest !== reference)
    throw new Error(`${c.label} read WRONG DATA: the checksum of ${r.samples} sampled blocks differs from the reference`);
  return r;
}

export function randomRead(ctx) {
  const { size, depths } = ctx.plan.randomRead;
  const [file] = dataFiles(ctx, 'random-read', 1, size);
  const contenders = withFio(ctx);
  const cases = depths.map(({ depth, count }) => {
    const { blocks, reference } = randomReads(file, size, count);
    const iolog = join(ctx.dir, `random-read-iolog-${depth}`, 'iolog'); // a folder each: the log's file link sits beside it
    mkdirSync(join(iolog, '..'), { recursive: true });
    writeIolog(iolog, file, { bs: BLOCK, offsets: Array.from(blocks, (b) => b * BLOCK) });
    const fio = [
      '--name=randread',
      '--ioengine=libaio',
      '--direct=1',
      `--iodepth=${depth}`,
      `--read_iolog=${iolog}`,
      '--replay_no_stall=1',
    ];
    const trials = runRounds(contenders, ctx.plan.runs, (x) => {
      if (ctx.cold.ok && !dropCaches().ok) throw new Error('dropping the page cache stopped working');
      return x.id === 'fio'
        ? runFioJob(fio, 'read', count * BLOCK, count)
        : randomReadTrial(ctx, x, file, count, depth, reference);
    });
    const results = summarizeCase(contenders, trials, (t) => t.iops);
    return { id: `depth-${depth}`, label: `depth ${depth}`, results, cache: ctx.cold.ok ? 'cold' : 'warm' };
  });
  return {
    title: `Random 4 KiB reads, ${formatSize(size)} file`,
    unit: 'IOPS',
    higher: true,
    reference: 'fio',
    note:
      `FileHandle.read through fs/promises and aiofs/promises vs fio libaio O_DIRECT replaying the same offsets; ` +
      `${ctx.cold.ok ? 'page cache dropped before every trial' : 'WARM page cache (not root: cannot drop it)'}`,
    cases,
  };
}
