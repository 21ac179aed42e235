// Random-read benchmark: fio (libaio, O_DIRECT) vs node:fs/promises vs aiofs,
// same offsets, same depth, interleaved trials, cold page cache.
//
//   node bench/random-read.mjs [--size 4G] [--count 100000] [--depth 64] [--runs 5]
//                              [--dir DIR] [--json FILE] [--seed 1] [--only fio,fs,aiofs]
//                              [--fio-randread]
//
// A benchmark, not a test: slow numbers never fail it. It exits non-zero only
// on real errors (wrong data read, fio missing, a trial crashing).
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { dropCaches } from './lib/cache.mjs';
import { runNodeTrial } from './lib/child.mjs';
import { BLOCK, ensureDataFile, formatSize, parseSize } from './lib/datafile.mjs';
import { describeEnv } from './lib/env.mjs';
import { fioVersion, runFio, summarize, writeIolog } from './lib/fio.mjs';
import { randomBlocks } from './lib/offsets.mjs';
import { fmtInt, fmtNum, fmtRatio, max, median, min, table } from './lib/stats.mjs';
import { referenceDigest } from './lib/verify.mjs';
import { fail } from './lib/fail.mjs';
import { IO_URING_ENV } from './lib/io-uring.mjs';
import { aiofsDist } from './lib/aiofs-build.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const TRIAL = here('./trials/random-read-trial.mjs');
const AIOFS_DIST = aiofsDist('promises.mjs');
const SAMPLE_EVERY = 16; // checksum every 16th block read (6,250 blocks at the default count)
const TARGETS = [
  { name: 'aiofs >= 2x fs/promises', num: 'aiofs', den: 'fs', min: 2 },
  { name: 'aiofs >= 0.8x fio', num: 'aiofs', den: 'fio', min: 0.8 },
];

const { values: opt } = parseArgs({
  options: {
    size: { type: 'string', default: '4G' },
    count: { type: 'string', default: '100000' },
    depth: { type: 'string', default: '64' },
    runs: { type: 'string', default: '5' },
    seed: { type: 'string', default: '1' },
    dir: { type: 'string', default: process.env.AIOFS_BENCH_DIR || here('./.data') },
    json: { type: 'string' },
    only: { type: 'string', default: 'fio,fs,aiofs' },
    'fio-randread': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  console.log(`usage: node bench/random-read.mjs [options]
  --size S        data file size (default 4G; units K M G T, binary)
  --count N       reads per trial (default 100000)
  --depth N       reads in flight (default 64)
  --runs N        trials per contender, interleaved (default 5)
  --seed N        PRNG seed for the offsets (default 1)
  --dir DIR       data file directory (default $AIOFS_BENCH_DIR or bench/.data)
  --json FILE     write all results as JSON
  --only LIST     contenders to run (default fio,fs,aiofs; also fs-uring: fs with UV_USE_IO_URING=1)
  --fio-randread  let fio pick its own offsets (--rw=randread) instead of replaying ours`);
  process.exit(0);
}

const size = parseSize(opt.size);
const count = Number(opt.count),
  depth = Number(opt.depth),
  runs = Number(opt.runs),
  seed = Number(opt.seed);
for (const [k, v] of Object.entries({ count, depth, runs })) {
  if (!Number.isInteger(v) || v < 1) fail(`--${k} must be a positive integer`);
}
if (!Number.isInteger(seed) || seed < 0) fail('--seed must be a non-negative integer');
const only = opt.only.split(',').map((s) => s.trim());
for (const id of only) if (!['fio', 'fs', 'fs-uring', 'aiofs'].includes(id)) fail(`--only: unknown contender "${id}"`);

// ---- contenders -----------------------------------------------------------

const contenders = [
  { id: 'fio', label: 'fio libaio O_DIRECT' },
  { id: 'fs', label: 'node:fs/promises' },
  { id: 'fs-uring', label: 'node:fs/promises io_uring', impl: 'fs', env: IO_URING_ENV },
  { id: 'aiofs', label: 'aiofs' },
].filter((c) => only.includes(c.id));
for (const c of contenders) c.trials = [];

const aiofs = contenders.find((c) => c.id === 'aiofs');
if (aiofs && !existsSync(AIOFS_DIST)) aiofs.skipped = 'dist/promises.mjs not found (run `npm run build` first)';

let fioVer;
if (contenders.some((c) => c.id === 'fio')) fioVer = fioVersion(); // throws if fio is missing

// ---- setup ----------------------------------------------------------------

const data = ensureDataFile(resolve(opt.dir), size);
const nBlocks = size / BLOCK;
const blocks = randomBlocks({ seed, nBlocks, count });
const reference = referenceDigest(data.path, blocks, SAMPLE_EVERY);

const probe = dropCaches();
const cold = probe.ok;
if (!cold) {
  console.log(`\n!!! WARNING: cannot drop the page cache (${probe.reason}).`);
  console.log('!!! Cold-cache runs are impossible: the page cache is left as it is between trials,');
  console.log('!!! so every result below is WARM (and marked so); buffered fs reads profit, O_DIRECT ones do not.\n');
}

const tmp = mkdtempSync(join(tmpdir(), 'aiofs-bench-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
const iolog = join(tmp, 'randread.iolog');
writeIolog(iolog, data.path, { op: 'read', bs: BLOCK, offsets: Array.from(blocks, (b) => b * BLOCK) });

const fioArgs = opt['fio-randread']
  ? // fio's own generator: the flags from the issue, offsets differ from ours
    [
      '--name=randread',
      `--filename=${data.path.replace(/:/g, '\\:')}`,
      '--ioengine=libaio',
      '--direct=1',
      '--rw=randread',
      '--bs=4k',
      `--iodepth=${depth}`,
      `--number_ios=${count}`,
      `--size=${size}`,
      `--randseed=${seed}`,
    ]
  : // replay our exact offsets (iolog implies rw=read, bs=4k, number of ios)
    ['--name=randread', '--ioengine=libaio', '--direct=1', `--iodepth=${depth}`, `--read_iolog=${iolog}`, '--replay_no_stall=1'];

const env = describeEnv(data.path);
console.log(
  `aiofs random-read benchmark: ${fmtInt(count)} x 4 KiB reads, ${depth} in flight, ${runs} run(s) each, ` +
    `${cold ? 'COLD' : 'WARM'} page cache`,
);
console.log(`  file   ${data.path} (${formatSize(size)}${data.created ? ', just written' : ', reused'})`);
console.log(
  `  env    node ${env.node}, ${env.kernel}, ${env.cpu}, ${env.filesystem}, UV_THREADPOOL_SIZE=${env.uvThreadpoolSize}`,
);
if (fioVer) console.log(`  fio    ${fioVer}: ${opt['fio-randread'] ? 'own randread offsets' : 'replaying the same offsets'}`);
for (const c of contenders) if (c.skipped) console.log(`  SKIP   ${c.id}: ${c.skipped}`);
console.log();

// ---- trials, interleaved so machine noise hits every contender alike --------

function runOne(c) {
  if (cold && !dropCaches().ok) throw new Error('dropping the page cache stopped working');
  if (c.id === 'fio') {
    const r = summarize(runFio(fioArgs));
    if (r.ios !== count) throw new Error(`fio did ${r.ios} reads, expected ${count}`);
    return r;
  }
  const r = runNodeTrial(TRIAL, [c.impl ?? c.id, data.path, count, depth, seed, SAMPLE_EVERY], c.env);
  if (r.sampleDigest !== reference) {
    throw new Error(
      `${c.id} returned WRONG DATA: checksum of ${r.samples} sampled blocks differs from the fs.readSync reference`,
    );
  }
  return r;
}

function describe(c, r) {
  const base = `${fmtInt(r.iops).padStart(9)} IOPS  ${fmtNum(r.seconds).padStart(6)} s  cpu ${fmtNum(r.cpuSec ?? r.cpu.totalSec)} s`;
  if (c.id === 'fio') return `${base}  clat p99 ${fmtNum(r.clatP99Ms)} ms`;
  const d = r.eventLoopDelay;
  return `${base}  loop delay p99 ${fmtNum(d.p99Ms)} ms, max ${fmtNum(d.maxMs)} ms`;
}

const active = contenders.filter((c) => !c.skipped);
try {
  for (let run = 1; run <= runs; run++) {
    for (const c of active) {
      const r = runOne(c);
      c.trials.push(r);
      if (c.id === 'aiofs' && !c.backend) {
        c.backend = r.backend;
        console.log(`  aiofs backend: ${JSON.stringify(r.backend)}`);
      }
      console.log(`  run ${run}/${runs}  ${c.id.padEnd(5)} ${describe(c, r)}`);
    }
  }
} catch (err) {
  fail(/** @type {Error} */ (err).message);
}

// ---- summary ----------------------------------------------------------------

for (const c of active) {
  const iops = c.trials.map((t) => t.iops);
  const node = c.id !== 'fio';
  c.summary = {
    medianIops: median(iops),
    minIops: min(iops),
    maxIops: max(iops),
    medianCpuSec: median(c.trials.map((t) => (node ? t.cpu.totalSec : t.cpuSec))),
    // per-trial p99 summarized by its median; max is the worst stall seen in any trial
    medianLoopDelayP99Ms: node ? median(c.trials.map((t) => t.eventLoopDelay.p99Ms)) : null,
    worstLoopDelayMaxMs: node ? max(c.trials.map((t) => t.eventLoopDelay.maxMs ?? NaN)) : null,
  };
}
const med = (id) => contenders.find((c) => c.id === id)?.summary?.medianIops ?? NaN;
const ratios = { 'aiofs/fs': med('aiofs') / med('fs'), 'aiofs/fio': med('aiofs') / med('fio'), 'fs/fio': med('fs') / med('fio') };

const rows = contenders.map((c) => {
  if (c.skipped) return [c.label, 'skipped', '', '', '', '', ''];
  const s = c.summary;
  return [
    c.label,
    fmtInt(s.medianIops),
    `${fmtInt(s.minIops)} - ${fmtInt(s.maxIops)}`,
    fmtRatio(s.medianIops / med('fio')),
    c.id === 'fio' ? 'n/a' : fmtNum(s.medianLoopDelayP99Ms),
    c.id === 'fio' ? 'n/a' : fmtNum(s.worstLoopDelayMaxMs),
    fmtNum(s.medianCpuSec),
  ];
});
console.log(
  `\nResults (${cold ? 'cold' : 'WARM'} page cache, median of ${runs} run(s), ${fmtInt(count)} reads x 4 KiB, depth ${depth}):\n`,
);
console.log(table(['contender', 'median IOPS', 'min - max IOPS', 'vs fio', 'loop p99 ms', 'loop max ms', 'CPU s'], rows));
console.log('\n  loop p99/max: event-loop delay in the trial process beyond its 1 ms sampling timer (median of');
console.log('    per-trial p99, worst per-trial max); up to ~1 ms is timer granularity, not blocking.');
console.log('  CPU s: median CPU seconds per trial (node: whole process incl. threadpool; fio: usr+sys).');

console.log('\nTargets:');
for (const t of TARGETS) {
  const ratio = med(t.num) / med(t.den);
  const skipped = contenders.find((c) => c.id === t.num)?.skipped ?? contenders.find((c) => c.id === t.den)?.skipped;
  const verdict = !Number.isFinite(ratio)
    ? `n/a (${skipped ?? 'contender not run'})`
    : `${fmtRatio(ratio)}  ${ratio >= t.min ? 'MET' : 'NOT MET'}${cold ? '' : ' (warm cache: not a valid measurement)'}`;
  console.log(`  ${t.name.padEnd(26)} ${verdict}`);
}
if (aiofs?.backend && aiofs.backend.name !== 'kernel-aio') {
  console.log(`  note: aiofs ran on its fallback backend (${aiofs.backend.name}: ${aiofs.backend.reason})`);
}

if (opt.json) {
  const out = {
    benchmark: 'random-read',
    date: new Date().toISOString(),
    cache: cold ? 'cold' : 'warm',
    cacheNote: cold ? 'page cache dropped before every trial' : probe.reason,
    config: {
      file: data.path,
      size,
      count,
      depth,
      runs,
      seed,
      blockSize: BLOCK,
      sampleEvery: SAMPLE_EVERY,
      fioOffsets: opt['fio-randread'] ? 'fio randread generator' : 'replay of the seeded offsets (temporary iolog)',
      fioArgs,
    },
    env: { ...env, fio: fioVer ?? null },
    referenceDigest: reference,
    contenders: contenders.map(({ id, label, skipped, backend, summary, trials }) => ({
      id,
      label,
      skipped,
      backend,
      summary,
      trials,
    })),
    ratios,
    targets: TARGETS.map((t) => {
      const ratio = med(t.num) / med(t.den);
      return { ...t, ratio: Number.isFinite(ratio) ? ratio : null, met: Number.isFinite(ratio) ? ratio >= t.min : null };
    }),
  };
  mkdirSync(dirname(resolve(opt.json)), { recursive: true });
  writeFileSync(resolve(opt.json), `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\nWrote ${resolve(opt.json)}`);
}
