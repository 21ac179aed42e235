// Threadpool independence: crypto.pbkdf2 jobs (which run on the libuv threadpool, as zlib and
// dns.lookup do) timed one after another while 8 large files are streamed, against an idle baseline.
// node:fs streams read on the threadpool, so the jobs queue behind their reads; the target is aiofs
// within 1.2x of idle at p99. Page cache dropped before every trial as root.
import { fileURLToPath } from 'node:url';
import { dropCaches } from '../../lib/cache.mjs';
import { runNodeTrial } from '../../lib/child.mjs';
import { formatSize } from '../../lib/datafile.mjs';
import { DEFAULT_FS_ENV } from '../../lib/io-uring.mjs';
import { median } from '../../lib/stats.mjs';
import { LABELS, nodeContenders } from '../contenders.mjs';
import { dataFiles } from '../data.mjs';
import { runRounds, summarizeCase } from '../summary.mjs';
import { checkTarget } from '../targets.mjs';

const TRIAL = fileURLToPath(new URL('../trials/threadpool-trial.mjs', import.meta.url));
const TARGET_VS_IDLE = 1.2;

export function threadpool(ctx) {
  const { streams, fileSize, jobs, iterations } = ctx.plan.threadpool;
  const files = dataFiles(ctx, 'threadpool', streams, fileSize);
  const contenders = [{ id: 'idle', label: LABELS.idle, impl: 'idle', env: DEFAULT_FS_ENV }, ...nodeContenders(ctx)];
  const trials = runRounds(contenders, ctx.plan.runs, (c) => {
    if (ctx.cold.ok && !dropCaches().ok) throw new Error('dropping the page cache stopped working');
    return runNodeTrial(TRIAL, [c.impl, jobs, iterations, c.impl === 'idle' ? '' : files.join(',')], c.env, { node: ctx.node });
  });
  const streamed = (results) => {
    for (const [id, s] of Object.entries(results)) s.streamedMBps = median(trials[id].map((t) => t.mbPerSec));
    return results;
  };
  const p99 = streamed(summarizeCase(contenders, trials, (t) => t.latencyP99Ms));
  const aiofsVsIdle = p99.aiofs && p99.idle ? p99.aiofs.value / p99.idle.value : null;
  return {
    title: 'Threadpool independence',
    unit: 'ms (lower is better)',
    higher: false,
    reference: 'idle',
    note:
      `${jobs} crypto.pbkdf2 jobs (${iterations} iterations, one at a time) while ${streams} files of ${formatSize(fileSize)} ` +
      `are streamed; idle streams nothing; UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`,
    cases: [
      { id: 'p50', label: 'pbkdf2 latency p50', results: streamed(summarizeCase(contenders, trials, (t) => t.latencyP50Ms)) },
      { id: 'p99', label: 'pbkdf2 latency p99', results: p99 },
    ],
    targets: [
      checkTarget(`aiofs p99 within ${TARGET_VS_IDLE}x of idle`, [{ label: 'pbkdf2 latency p99', value: aiofsVsIdle }], {
        atMost: TARGET_VS_IDLE,
      }),
    ],
  };
}
