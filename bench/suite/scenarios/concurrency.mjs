// 1, 4, 16 and 64 files streamed at once by one process (createReadStream, defaults), the same total
// bytes at every count: total MB/s, and the slowest stream's share of its file when the first stream
// ended (1: every stream progressed alike; near 0: one starved). fio reads the same files with one
// job per file (libaio, O_DIRECT, 1 MiB x8 each) as the device limit, and shows how evenly the device
// itself serves that many sequential readers. Cold cache as root.
import { fileURLToPath } from 'node:url';
import { dropCaches } from '../../lib/cache.mjs';
import { runNodeTrial } from '../../lib/child.mjs';
import { formatSize } from '../../lib/datafile.mjs';
import { runFio, summarize as fioFigures } from '../../lib/fio.mjs';
import { median } from '../../lib/stats.mjs';
import { compareStream } from '../../lib/verify.mjs';
import { withFio } from '../contenders.mjs';
import { dataFiles, references } from '../data.mjs';
import { runRounds, summarizeCase } from '../summary.mjs';

const TRIAL = fileURLToPath(new URL('../trials/concurrent-read-trial.mjs', import.meta.url));
const GiB = 2 ** 30;

// fio, one job per file, all started together: total MB/s over the longest job, and the slowest
// stream's share estimated from each job's own rate at the moment the first job ended.
function fioStreams(files, fileSize) {
  const jobs = files.flatMap((f, i) => [`--name=s${i}`, `--filename=${f.replace(/:/g, '\\:')}`]);
  const bs = Math.min(2 ** 20, fileSize); // fio refuses a block larger than the file
  const json = runFio([
    '--ioengine=libaio',
    '--direct=1',
    '--rw=read',
    `--bs=${bs}`,
    '--iodepth=8',
    `--size=${fileSize}`,
    ...jobs,
  ]);
  const each = json.jobs.map((_, i) => fioFigures(json, 'read', i));
  const bytes = each.reduce((sum, j) => sum + j.bytes, 0);
  if (bytes !== fileSize * files.length) throw new Error(`fio read ${bytes} bytes, expected ${fileSize * files.length}`);
  const seconds = Math.max(...each.map((j) => j.seconds));
  const firstEnd = Math.min(...each.map((j) => j.seconds));
  return {
    seconds,
    mbPerSec: bytes / seconds / 1e6,
    cpuSecPerGiB: each.reduce((sum, j) => sum + j.cpuSec, 0) / (bytes / GiB),
    slowestShare: Math.min(...each.map((j) => Math.min(1, (j.bytesPerSec * firstEnd) / fileSize))),
    jobs: each,
  };
}

export function concurrency(ctx) {
  const { total, streams } = ctx.plan.concurrency;
  const contenders = withFio(ctx);
  const cases = streams.map((n) => {
    const fileSize = total / n;
    const files = dataFiles(ctx, `streams-${n}`, n, fileSize);
    const refs = references(files, fileSize);
    ctx.detail(`  ${n} stream(s) of ${formatSize(fileSize)}`);
    const trials = runRounds(contenders, ctx.plan.runs, (c) => {
      if (ctx.cold.ok && !dropCaches().ok) throw new Error('dropping the page cache stopped working');
      if (c.id === 'fio') return fioStreams(files, fileSize);
      const r = runNodeTrial(TRIAL, [c.impl, files.join(',')], c.env, { node: ctx.node });
      r.verify.forEach((v, i) => {
        const wrong = compareStream(v, refs[i]);
        if (wrong) throw new Error(`${c.label} streamed WRONG DATA from ${files[i]}: ${wrong}`);
      });
      delete r.verify; // checked; 64 of them would bloat the JSON
      return r;
    });
    const results = summarizeCase(contenders, trials, (t) => t.mbPerSec);
    for (const [id, s] of Object.entries(results)) s.slowestShare = median(trials[id].map((t) => t.slowestShare));
    return { id: `streams-${n}`, label: `${n} stream${n > 1 ? 's' : ''} x ${formatSize(fileSize)}`, results };
  });
  return {
    title: 'Concurrent streams',
    unit: 'MB/s',
    higher: true,
    reference: 'fio',
    note:
      `N files read at once, ${formatSize(total)} in all; ${ctx.cold.ok ? 'page cache dropped before every trial' : `WARM page cache (${ctx.cold.reason})`}; ` +
      "slowest stream's share: of its file, when the first stream ended (fio: estimated from each job's rate)",
    cases,
  };
}
