// createWriteStream writing --size to a new file in 64 KiB and in 1 MiB chunks, each with and without
// flush: true (fsync before close): bench/suite/trials/sequential-write-trial.mjs, writing again and again for
// windowSeconds, and every byte of the file it wrote read back here and checked against the pattern
// (bench/lib/write-pattern.mjs). Before every trial the target is deleted, written back (sync) and, as
// root, the page cache dropped. fio (libaio, O_DIRECT, 1 MiB x8) writes the same file as the device
// limit; its trials appear in both cases of a chunk size, with and without flush.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dropCaches } from '../../lib/cache.mjs';
import { runNodeTrial } from '../../lib/child.mjs';
import { formatSize, parseSize } from '../../lib/datafile.mjs';
import { runFioJob } from '../../lib/fio.mjs';
import { checkWrittenFile, makePattern } from '../../lib/write-pattern.mjs';
import { withFio } from '../contenders.mjs';
import { runRounds, summarizeCase } from '../summary.mjs';

const TRIAL = fileURLToPath(new URL('../trials/sequential-write-trial.mjs', import.meta.url));

export function sequentialWrite(ctx) {
  const { size, chunks, windowSeconds } = ctx.plan.sequentialWrite;
  const target = join(ctx.dir, 'write-target.bin');
  const fio = [
    '--name=seqwrite',
    `--filename=${target.replace(/:/g, '\\:')}`,
    '--ioengine=libaio',
    '--direct=1',
    '--rw=write',
    '--bs=1M',
    '--iodepth=8',
    `--size=${size}`,
  ];
  const contenders = withFio(ctx);
  // node:fs's and aiofs's streams with flush: true (node:fs with io_uring is left out there)
  for (const c of contenders.filter((x) => x.id === 'fs' || x.id === 'aiofs'))
    contenders.push({ ...c, id: `${c.id}-flush`, label: `${c.label} flush` });
  const pattern = makePattern();
  const cases = chunks.flatMap((chunk) => {
    const chunkBytes = parseSize(chunk);
    const key = formatSize(chunkBytes);
    const trials = runRounds(contenders, ctx.plan.runs, (x) => {
      rmSync(target, { force: true });
      if (!ctx.cold.ok) execFileSync('sync');
      else if (!dropCaches().ok) throw new Error('dropping the page cache stopped working');
      if (x.id === 'fio') return runFioJob(fio, 'write', size);
      const options = JSON.stringify(x.id.endsWith('-flush') ? { flush: true } : null);
      const r = runNodeTrial(TRIAL, [x.impl, target, size, chunkBytes, options, windowSeconds], x.env, { node: ctx.node });
      const wrong = checkWrittenFile(target, size, pattern);
      if (wrong) throw new Error(`${x.label} wrote WRONG DATA: ${wrong}`);
      return r;
    });
    rmSync(target, { force: true });
    const flushed = summarizeCase(
      contenders.filter((x) => x.id === 'fio' || x.id.endsWith('-flush')),
      trials,
      (t) => t.mbPerSec,
    );
    return [
      {
        id: key,
        label: `${key} writes`,
        results: summarizeCase(
          contenders.filter((x) => !x.id.endsWith('-flush')),
          trials,
          (t) => t.mbPerSec,
        ),
      },
      {
        id: `${key}-flush`,
        label: `${key} writes, flush`,
        results: Object.fromEntries(Object.entries(flushed).map(([id, s]) => [id.replace(/-flush$/, ''), s])),
      },
    ];
  });
  return {
    title: `Sequential write, ${formatSize(size)} stream`,
    unit: 'MB/s',
    higher: true,
    reference: 'fio',
    note:
      `createWriteStream vs fio libaio O_DIRECT 1 MiB x8; a fresh file each trial after sync and (as root) a page-cache drop ` +
      `(writing a new file has no warm case: nothing of it is cached); node trials write for ${windowSeconds} s; flush: fsync before close`,
    cases,
  };
}
