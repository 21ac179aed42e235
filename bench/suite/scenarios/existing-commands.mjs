// The scenarios the three standalone benchmarks already measure (bench/sequential-read.mjs,
// sequential-write.mjs, random-read.mjs): the suite runs them as they are, with --json, and turns
// their trials into suite cases. Their own checks (every byte streamed or written, sampled random
// reads) and cache handling (drop before cold trials, fincore before warm ones) come with them.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BLOCK, formatSize } from '../../lib/datafile.mjs';
import { commandEnv, onlyList } from '../contenders.mjs';
import { summarize } from '../summary.mjs';

const script = (name) => fileURLToPath(new URL(`../../${name}.mjs`, import.meta.url));
const GiB = 2 ** 30;

let jsonCount = 0;
function runCommand(ctx, name, args) {
  const json = join(ctx.dir, `${name}-${++jsonCount}.json`);
  const all = [
    ...args,
    '--runs',
    String(ctx.plan.runs),
    '--only',
    onlyList(ctx.ioUring, Boolean(ctx.fio)),
    '--dir',
    ctx.dir,
    '--json',
    json,
  ];
  ctx.log(`  node bench/${name}.mjs ${all.join(' ')}`);
  const r = spawnSync(ctx.node, [script(name), ...all], {
    env: commandEnv(ctx),
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    stdio: ['ignore', ctx.verbose ? 'inherit' : 'pipe', 'inherit'],
  });
  if (r.status !== 0) {
    throw new Error(
      `bench/${name}.mjs failed (exit ${r.status ?? r.signal})${r.stdout ? `:\n${r.stdout.trim().split('\n').slice(-15).join('\n')}` : ''}`,
    );
  }
  return JSON.parse(readFileSync(json, 'utf8'));
}

// contender entries of one table of a command's JSON -> suite results, `rename` mapping suite ids to theirs
function resultsOf(contenders, value, rename = {}) {
  const byId = Object.fromEntries(contenders.filter((c) => !c.skipped && c.trials.length).map((c) => [c.id, c]));
  const out = {};
  for (const id of ['fio', 'fs', 'fs-uring', 'aiofs']) {
    const c = byId[id in rename ? rename[id] : id];
    if (c) out[id] = summarize(c.trials, value);
  }
  return out;
}

export function sequentialRead(ctx) {
  const p = ctx.plan.sequentialRead;
  const out = runCommand(ctx, 'sequential-read', [
    '--size',
    String(p.size),
    '--modes',
    p.modes.join(','),
    '--warm-seconds',
    String(p.warmSeconds),
  ]);
  return {
    title: `Sequential read, ${formatSize(p.size)} stream`,
    unit: 'MB/s',
    higher: true,
    reference: 'fio',
    note:
      'createReadStream (defaults) vs fio libaio O_DIRECT 1 MiB x8; cold: page cache dropped before every trial; ' +
      `warm: the file cached, streamed again and again for ${p.warmSeconds} s`,
    cases: p.modes.map((mode) => {
      const m = out.modes[mode];
      const label = `${mode} cache`;
      return m.skipped
        ? { id: mode, label, skipped: m.skipped }
        : { id: mode, label, results: resultsOf(m.contenders, (t) => t.mbPerSec) };
    }),
    raw: out,
  };
}

export function sequentialWrite(ctx) {
  const p = ctx.plan.sequentialWrite;
  const out = runCommand(ctx, 'sequential-write', [
    '--size',
    String(p.size),
    '--chunks',
    p.chunks.join(','),
    '--window-seconds',
    String(p.windowSeconds),
  ]);
  const cases = [];
  for (const [key, chunk] of Object.entries(out.chunks)) {
    cases.push({ id: `${key}`, label: `${key} writes`, results: resultsOf(chunk.contenders, (t) => t.mbPerSec) });
    cases.push({
      id: `${key}-flush`,
      label: `${key} writes, flush`,
      results: resultsOf(chunk.contenders, (t) => t.mbPerSec, { fs: 'fs-flush', 'fs-uring': null, aiofs: 'aiofs-flush' }),
    });
  }
  return {
    title: `Sequential write, ${formatSize(p.size)} stream`,
    unit: 'MB/s',
    higher: true,
    reference: 'fio',
    note:
      `createWriteStream vs fio libaio O_DIRECT 1 MiB x8; a fresh file each trial after sync and (as root) a page-cache drop ` +
      `(writing a new file has no warm case: nothing of it is cached); node trials write for ${p.windowSeconds} s; flush: fsync before close`,
    cases,
    raw: out,
  };
}

export function randomRead(ctx) {
  const p = ctx.plan.randomRead;
  const raw = [];
  const cases = p.depths.map(({ depth, count }) => {
    const out = runCommand(ctx, 'random-read', ['--size', String(p.size), '--depth', String(depth), '--count', String(count)]);
    raw.push(out);
    // CPU per GiB read: node trials report their process's CPU, fio its usr+sys
    const perGiB = out.contenders.map((c) => ({
      ...c,
      trials: c.trials.map((t) => ({ ...t, cpuSecPerGiB: (t.cpu?.totalSec ?? t.cpuSec) / ((count * BLOCK) / GiB) })),
    }));
    return { id: `depth-${depth}`, label: `depth ${depth}`, results: resultsOf(perGiB, (t) => t.iops), cache: out.cache };
  });
  return {
    title: `Random 4 KiB reads, ${formatSize(p.size)} file`,
    unit: 'IOPS',
    higher: true,
    reference: 'fio',
    note:
      `FileHandle.read through fs/promises and aiofs/promises vs fio libaio O_DIRECT replaying the same offsets; ` +
      `${raw[0]?.cache === 'cold' ? 'page cache dropped before every trial' : 'WARM page cache (not root: cannot drop it)'}`,
    cases,
    raw,
  };
}
