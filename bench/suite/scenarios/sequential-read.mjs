// One file of --size streamed by createReadStream (defaults), cold (page cache dropped before every
// trial, as root) and warm (the whole file cached before every trial, then streamed again and again for
// warmSeconds, so that every contender's loop-delay p99 rests on about as many ticks):
// bench/suite/trials/sequential-read-trial.mjs, every chunk checked there and its figures compared here with
// a reference read once with fs.readSync. fio (libaio, O_DIRECT, 1 MiB x8) reads the file as the device
// limit; its O_DIRECT reads neither use nor fill the cache, so warm it still reads the disk.
import { fileURLToPath } from 'node:url';
import { dropCaches, residentBytes, warmFile } from '../../lib/cache.mjs';
import { runNodeTrial } from '../../lib/child.mjs';
import { formatSize } from '../../lib/datafile.mjs';
import { runFioJob } from '../../lib/fio.mjs';
import { compareStream } from '../../lib/verify.mjs';
import { withFio } from '../contenders.mjs';
import { dataFiles, references } from '../data.mjs';
import { runRounds, summarizeCase } from '../summary.mjs';

const TRIAL = fileURLToPath(new URL('../trials/sequential-read-trial.mjs', import.meta.url));

/** The page cache as `mode` needs it: dropped (cold), or holding the whole file (warm: read again if not). */
function prepareCache(ctx, mode, file, size) {
  if (mode === 'cold') {
    if (!dropCaches().ok) throw new Error('dropping the page cache stopped working');
    const r = residentBytes(file);
    if (r.ok && r.bytes > 0) ctx.log(`  warning: ${r.bytes} bytes of ${file} still cached right after drop_caches`);
    return;
  }
  const before = residentBytes(file);
  if (before.ok && before.bytes >= size) return;
  warmFile(file);
  const r = residentBytes(file);
  if (r.ok && r.bytes < size)
    throw new Error(`cannot keep ${file} in the page cache (${r.bytes} of ${size} bytes after reading it)`);
}

export function sequentialRead(ctx) {
  const { size, modes, warmSeconds } = ctx.plan.sequentialRead;
  const [file] = dataFiles(ctx, 'sequential-read', 1, size);
  const [reference] = references([file], size);
  // --invalidate=0: fio would drop the file's cached pages before its job, turning the next warm trial cold
  const fio = [
    '--name=seqread',
    `--filename=${file.replace(/:/g, '\\:')}`,
    '--ioengine=libaio',
    '--direct=1',
    '--rw=read',
    '--bs=1M',
    '--iodepth=8',
    `--size=${size}`,
    '--invalidate=0',
  ];
  const contenders = withFio(ctx);
  const cases = modes.map((mode) => {
    const c = { id: mode, label: `${mode} cache` };
    if (mode === 'cold' && !ctx.cold.ok) return { ...c, skipped: `cannot drop the page cache (${ctx.cold.reason})` };
    const trials = runRounds(contenders, ctx.plan.runs, (x) => {
      prepareCache(ctx, mode, file, size);
      if (x.id === 'fio') return runFioJob(fio, 'read', size);
      const r = runNodeTrial(TRIAL, [x.impl, file, 'null', mode === 'warm' ? warmSeconds : 0], x.env, { node: ctx.node });
      const wrong = compareStream(r.verify, reference);
      if (wrong) throw new Error(`${x.label} streamed WRONG DATA: ${wrong}`);
      if (!r.closed) ctx.log(`  warning: ${x.label}: no 'close' within 5 s after 'end' (file left open?)`);
      return r;
    });
    return { ...c, results: summarizeCase(contenders, trials, (t) => t.mbPerSec) };
  });
  return {
    title: `Sequential read, ${formatSize(size)} stream`,
    unit: 'MB/s',
    higher: true,
    reference: 'fio',
    note:
      'createReadStream (defaults) vs fio libaio O_DIRECT 1 MiB x8; cold: page cache dropped before every trial; ' +
      `warm: the file cached, streamed again and again for ${warmSeconds} s`,
    cases,
  };
}
