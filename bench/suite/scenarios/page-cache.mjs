// Page-cache pollution: a "hot" file is cached, then a larger file is streamed once (node:fs
// createReadStream, or aiofs with cache: 'bypass'), and fincore tells how much of each is cached
// afterwards. Inside a memory-limited cgroup (as root) the streamed file cannot fit beside the hot
// one, so a stream through the page cache evicts the hot file, as in a memory-limited container;
// aiofs's O_DIRECT reads add nothing. Needs root (drop caches between trials) and fincore (util-linux).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dropCaches, residentBytes } from '../../lib/cache.mjs';
import { runNodeTrial } from '../../lib/child.mjs';
import { formatSize } from '../../lib/datafile.mjs';
import { median } from '../../lib/stats.mjs';
import { compareStream } from '../../lib/verify.mjs';
import { memoryCgroup } from '../cgroup.mjs';
import { nodeContenders } from '../contenders.mjs';
import { dataFiles, references } from '../data.mjs';
import { runRounds, summarize } from '../summary.mjs';

const TRIAL = fileURLToPath(new URL('../trials/sequential-read-trial.mjs', import.meta.url));
const OPTIONS = { fs: null, aiofs: { cache: 'bypass' } };

function resident(path) {
  const r = residentBytes(path);
  if (!r.ok) throw new Error(r.reason);
  return r.bytes;
}

export function pageCache(ctx) {
  const { hot: hotSize, streamed: bigSize, memoryLimit } = ctx.plan.pageCache;
  const base = {
    title: 'Page-cache pollution',
    unit: '% cached',
    higher: true,
    reference: null,
  };
  if (!ctx.cold.ok) return { ...base, skipped: `needs the page cache dropped between trials (${ctx.cold.reason})` };
  const probe = residentBytes('/proc/self/exe');
  if (!probe.ok) return { ...base, skipped: probe.reason };

  const [hot] = dataFiles(ctx, 'hot', 1, hotSize);
  const [big] = dataFiles(ctx, 'streamed', 1, bigSize);
  const [bigRef] = references([big], bigSize);
  const cgroup = memoryCgroup(memoryLimit);
  const launcher = cgroup.ok ? cgroup.launcher : [];
  // same contenders as everywhere; fs's io_uring variant reads through the same page cache
  const contenders = nodeContenders(ctx).filter((c) => c.id !== 'fs-uring');
  let trials;
  try {
    trials = runRounds(contenders, ctx.plan.runs, (c) => {
      if (!dropCaches().ok) throw new Error('dropping the page cache stopped working');
      const [cmd, ...args] = [...launcher, 'cat', hot]; // read inside the cgroup, so its pages are charged there
      const cat = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
      if (cat.status !== 0) throw new Error(`reading the hot file failed (exit ${cat.status ?? cat.signal})`);
      const hotBefore = resident(hot);
      if (hotBefore < 0.95 * hotSize)
        throw new Error(`only ${((100 * hotBefore) / hotSize).toFixed(0)}% of the hot file is cached right after reading it`);
      const r = runNodeTrial(TRIAL, [c.impl, big, JSON.stringify(OPTIONS[c.impl]), '0'], c.env, { launcher, node: ctx.node });
      const wrong = compareStream(r.verify, bigRef);
      if (wrong) throw new Error(`${c.label} streamed WRONG DATA: ${wrong}`);
      return {
        ...r,
        hotCachedBefore: hotBefore / hotSize,
        hotCached: resident(hot) / hotSize,
        streamedCached: resident(big) / bigSize,
      };
    });
  } finally {
    if (cgroup.ok) cgroup.remove();
  }
  const percent = (get) => (t) => 100 * get(t);
  const caseOf = (id, label, get, higher) => {
    const results = Object.fromEntries(contenders.map((c) => [c.id, summarize(trials[c.id], percent(get))]));
    for (const [cid, s] of Object.entries(results))
      s.hotCachedBeforePercent = median(trials[cid].map(percent((t) => t.hotCachedBefore)));
    return { id, label, higher, results };
  };
  return {
    ...base,
    note:
      `a ${formatSize(hotSize)} hot file read, then a ${formatSize(bigSize)} file streamed once (aiofs: cache: 'bypass'); ` +
      (cgroup.ok
        ? `both inside a cgroup limited to ${formatSize(memoryLimit)}`
        : `no memory limit (${cgroup.reason}): the hot file has room to stay`) +
      '; page cache dropped before every trial; residency from fincore',
    memoryLimit: cgroup.ok ? memoryLimit : null,
    cases: [
      caseOf('hot', 'hot file still cached', (t) => t.hotCached, true),
      {
        ...caseOf('streamed', 'streamed file left in cache', (t) => t.streamedCached, false),
        unit: '% cached (lower is better)',
      },
    ],
  };
}
