#!/usr/bin/env node
// Sequential-write (streaming) benchmark: aiofs createWriteStream vs
// fs.createWriteStream, each with and without `flush: true` (fsync before
// close), writing one large file in 64 KiB and in 1 MiB chunks, vs fio
// (libaio, O_DIRECT, 1 MiB x 8 in flight: the device limit). Each trial writes
// a fresh file in a fresh process, contenders interleaved per round, medians
// over several runs; the parent checks every byte of every file a node trial wrote.
//
//   node bench/sequential-write.mjs [--size 1G] [--runs 5] [--quick] [--chunks 64K,1M]
//                                   [--aiofs-options JSON] [--variants JSON-ARRAY]
//                                   [--only fio,fs,aiofs] [--dir DIR] [--json FILE]
//
// A benchmark, not a test: slow numbers never fail it. It exits non-zero only
// on real errors (wrong data written, fio missing, a trial crashing).
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { dropCaches } from './lib/cache.mjs';
import { runNodeTrial } from './lib/child.mjs';
import { BLOCK, formatSize, parseSize } from './lib/datafile.mjs';
import { describeEnv } from './lib/env.mjs';
import { fioVersion, runFio, summarize } from './lib/fio.mjs';
import { fmtNum, fmtRatio, max, median, min, table } from './lib/stats.mjs';
import { describeMismatch, fillExpected, makePattern, PATTERN_SIZE } from './lib/write-pattern.mjs';
import { fail } from './lib/fail.mjs';
import { IO_URING_ENV } from './lib/io-uring.mjs';
import { aiofsDist } from './lib/aiofs-build.mjs';
import { aiofsOptionSets as parseAiofsOptionSets, aiofsProblem, pairedRatio as pairedTrialRatio } from './lib/stream-bench.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const TRIAL = here('./trials/sequential-write-trial.mjs');
const AIOFS_STREAM_DIST = aiofsDist('write-stream.js');
const AIOFS_INDEX = aiofsDist('index.mjs');
const MiB = 2 ** 20;
const GiB = 2 ** 30;

const { values: opt } = parseArgs({
  options: {
    size: { type: 'string' },
    runs: { type: 'string' },
    quick: { type: 'boolean', default: false },
    chunks: { type: 'string', default: '64K,1M' },
    'window-seconds': { type: 'string' },
    'aiofs-options': { type: 'string' },
    variants: { type: 'string' },
    only: { type: 'string', default: 'fio,fs,aiofs' },
    dir: { type: 'string', default: process.env.AIOFS_BENCH_DIR || here('./.data') },
    json: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  console.log(`usage: node bench/sequential-write.mjs [options]
  --size S              bytes written per trial (default 1G; units K M G T, binary; a multiple of 1M)
  --runs N              trials per contender and chunk size, interleaved (default 5)
  --quick               --size 256M --runs 2 (explicit --size/--runs still win)
  --window-seconds S    a node trial writes the file again, back to back, until S seconds of writing
                        (default 2, --quick 1), so every contender's loop-delay p99 rests on about
                        as many ticks (a fast 1 GiB pass lasts 0.3 s); 0: one pass
  --chunks LIST         sizes of the producer's write() calls, one results table each
                        (default 64K,1M; any size works, e.g. 100K for writes not aligned to 4K)
  --aiofs-options JSON  options for aiofs's createWriteStream, e.g. '{"writeBehind":8}' (default: none,
                        i.e. createWriteStream(file) with aiofs's defaults); leave out flush: every
                        option set runs both without it and with flush: true
  --variants JSON       more aiofs option sets run side by side, a JSON array of objects,
                        e.g. '[{"writeBehind":8},{"chunkSize":4194304}]'
  --only LIST           contenders (default fio,fs,aiofs; fs covers fs and fs flush, aiofs all its
                        variants with and without flush; also fs-uring: fs with UV_USE_IO_URING=1)
  --dir DIR             where the trials write their file, write-target.bin (default $AIOFS_BENCH_DIR
                        or bench/.data); it is deleted before every trial and at the end, and needs
                        --size of free space per pass (a fast device writes several passes per window)
  --json FILE           write all results as JSON (the folder is created)
  -h, --help            this text`);
  process.exit(0);
}

function sizeOption(name, text) {
  try {
    return parseSize(text);
  } catch (err) {
    fail(`--${name}: ${/** @type {Error} */ (err).message}`);
  }
}

const size = sizeOption('size', opt.size ?? (opt.quick ? '256M' : '1G'));
const runs = Number(opt.runs ?? (opt.quick ? 2 : 5));
const windowSeconds = Number(opt['window-seconds'] ?? (opt.quick ? 1 : 2));
if (!(windowSeconds >= 0)) fail('--window-seconds must be a number >= 0');
if (!Number.isInteger(runs) || runs < 1) fail('--runs must be a positive integer');
if (size < MiB || size % MiB !== 0) fail('--size must be a non-zero multiple of 1M (fio writes it in 1 MiB blocks)');
if (size / BLOCK > 2 ** 32) fail('--size too large (the block index in each header must fit 32 bits)');
const chunkSizes = [
  ...new Set(
    opt.chunks
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => sizeOption('chunks', s)),
  ),
];
if (chunkSizes.length === 0) fail('--chunks: nothing to run');
for (const c of chunkSizes) if (!(c >= 1)) fail(`--chunks: ${c} bytes is not a chunk size`);
const only = opt.only.split(',').map((s) => s.trim());
for (const id of only) if (!['fio', 'fs', 'fs-uring', 'aiofs'].includes(id)) fail(`--only: unknown contender "${id}"`);

const aiofsOptionSets = parseAiofsOptionSets(opt, (o) =>
  'flush' in o ? 'leave out "flush" (every option set runs with and without it)' : null,
);

// ---- contenders -----------------------------------------------------------

const FIO_ARGS = ['--ioengine=libaio', '--direct=1', '--rw=write', '--bs=1M', '--iodepth=8'];
const withFlush = (options) => ({ ...(options ?? {}), flush: true });
const aiofsName = (options) =>
  options === null || Object.keys(options).length === 0 ? 'aiofs createWriteStream' : `aiofs ${JSON.stringify(options)}`;
/**
 * @typedef {{ id: string, label: string, kind: string, group: string, impl?: string, flush?: boolean, options?: object | null,
 *   env?: NodeJS.ProcessEnv, set?: number, skipped?: string, backend?: { name: string, reason?: string } }} Contender
 */
/** @type {Contender[]} */
const contenders = [
  { id: 'fio', label: 'fio libaio O_DIRECT 1M x8', kind: 'fio', group: 'fio' },
  { id: 'fs', label: 'fs.createWriteStream', kind: 'node', impl: 'fs', group: 'fs', flush: false, options: null },
  {
    id: 'fs-flush',
    label: 'fs.createWriteStream flush',
    kind: 'node',
    impl: 'fs',
    group: 'fs',
    flush: true,
    options: withFlush(null),
  },
  {
    id: 'fs-uring',
    label: 'fs.createWriteStream io_uring',
    kind: 'node',
    impl: 'fs',
    group: 'fs-uring',
    flush: false,
    options: null,
    env: IO_URING_ENV,
  },
  ...aiofsOptionSets.flatMap((options, i) => {
    const id = i === 0 ? 'aiofs' : `aiofs-${i + 1}`;
    return [
      { id, label: aiofsName(options), kind: 'node', impl: 'aiofs', group: 'aiofs', flush: false, options, set: i },
      {
        id: `${id}-flush`,
        label: `${aiofsName(options)} flush`,
        kind: 'node',
        impl: 'aiofs',
        group: 'aiofs',
        flush: true,
        options: withFlush(options),
        set: i,
      },
    ];
  }),
].filter((c) => only.includes(c.group));
const aiofsContenders = contenders.filter((c) => c.impl === 'aiofs');
// the fs contender with the same flush setting: the baseline of "vs fs" and of the targets
const fsBaseOf = (c) => (c.flush ? 'fs-flush' : 'fs');

if (aiofsContenders.length > 0) {
  const why = aiofsProblem(AIOFS_STREAM_DIST, AIOFS_INDEX, 'createWriteStream');
  if (why) for (const c of aiofsContenders) c.skipped = why;
}

let fioVer;
if (contenders.some((c) => c.id === 'fio')) {
  try {
    fioVer = fioVersion();
  } catch (err) {
    fail(/** @type {Error} */ (err).message);
  }
}

// ---- setup ----------------------------------------------------------------

const dir = resolve(opt.dir);
mkdirSync(dir, { recursive: true });
const target = join(dir, 'write-target.bin');
const removeTarget = () => rmSync(target, { force: true });
// fio's file: the same path, a fresh file every time (fio then allocates it and writes inside it)
const fioArgs = ['--name=seqwrite', `--filename=${target.replace(/:/g, '\\:')}`, ...FIO_ARGS, `--size=${size}`];

const probe = dropCaches();
const cacheNote = probe.ok
  ? 'before every trial: target deleted, sync, page cache dropped'
  : `before every trial: target deleted, sync (page cache not dropped: ${probe.reason})`;
removeTarget();

const pattern = makePattern();
const env = describeEnv(dir);
const aiofsLabel = (c) => `${c.label}${c.options === null ? ' (defaults)' : ''}`;
console.log(
  `aiofs sequential-write benchmark: write ${formatSize(size)} per trial in ${chunkSizes.map(formatSize).join(' and ')} chunks, ` +
    `${runs} run(s) per contender and chunk size, fresh file and fresh process per trial, contenders interleaved (order rotated each round)`,
);
console.log(`  file   ${target}`);
console.log(
  `  env    node ${env.node}, ${env.kernel}, ${env.cpu}, ${env.memoryGiB} GiB RAM, ${env.filesystem}, UV_THREADPOOL_SIZE=${env.uvThreadpoolSize}`,
);
if (fioVer) console.log(`  fio    ${fioVer}: ${FIO_ARGS.join(' ')} --size=${size}`);
for (const c of aiofsContenders)
  if (!c.flush)
    console.log(
      `  aiofs  ${aiofsLabel(c)}: options ${c.options === null ? 'none' : JSON.stringify(c.options)}, and with flush: true`,
    );
for (const c of contenders) if (c.skipped) console.log(`  SKIP   ${c.id}: ${c.skipped}`);
console.log(`  cache  ${cacheNote}`);
console.log();

// ---- trials, interleaved so machine noise hits every contender alike --------

// Puts the machine in the same state before every trial: no target file, no
// dirty data of an earlier trial still being written back, no cached pages.
function prepare() {
  removeTarget();
  if (probe.ok) {
    if (!dropCaches().ok) throw new Error('dropping the page cache stopped working');
  } else {
    execFileSync('sync');
  }
}

class WrongData extends Error {}

// Reads the file back (plain 1 MiB readSync) and compares every byte with the
// pattern: its size, every block's header, every block's data. Not timed.
function verifyFile(c) {
  const t0 = process.hrtime.bigint();
  const st = statSync(target);
  if (st.size !== size) throw new WrongData(`${c.label} wrote WRONG DATA: the file has ${st.size} bytes, expected ${size}`);
  const actual = Buffer.allocUnsafe(PATTERN_SIZE);
  const expected = Buffer.allocUnsafe(PATTERN_SIZE);
  const fd = openSync(target, 'r');
  try {
    for (let off = 0; off < size;) {
      const want = Math.min(PATTERN_SIZE, size - off);
      const n = readSync(fd, actual, 0, want, off);
      if (n === 0) throw new WrongData(`${c.label}: the file ends at ${off} while reading it back`);
      fillExpected(pattern, expected.subarray(0, n), off);
      const wrong = describeMismatch(actual.subarray(0, n), expected.subarray(0, n), off);
      if (wrong) throw new WrongData(`${c.label} wrote WRONG DATA: ${wrong}`);
      off += n;
    }
  } finally {
    closeSync(fd);
  }
  return { bytes: size, blocks: size / BLOCK, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

function runOne(c, chunkBytes) {
  prepare();
  if (c.kind === 'fio') {
    const r = summarize(runFio(fioArgs), 'write');
    if (r.bytes !== size) throw new Error(`fio wrote ${r.bytes} bytes, expected ${size}`);
    removeTarget();
    return { ...r, mbPerSec: r.bytesPerSec / 1e6, cpuSecPerGiB: r.cpuSec / (size / GiB) };
  }
  const r = runNodeTrial(TRIAL, [c.impl, target, size, chunkBytes, JSON.stringify(c.options), String(windowSeconds)], c.env);
  const verify = verifyFile(c);
  removeTarget();
  return { ...r, verify };
}

function describe(c, r) {
  const passes = r.passes > 1 ? ` (${r.passes} passes)` : '';
  const base = `${fmtNum(r.mbPerSec, 0).padStart(6)} MB/s  ${fmtNum(r.seconds, 3).padStart(6)} s${passes}  cpu ${fmtNum(r.cpuSecPerGiB)} s/GiB`;
  if (c.kind === 'fio') return base;
  const d = r.eventLoopDelay;
  const kernel = c.impl === 'aiofs' ? `  ${r.kernelRequests ?? 0} kernel requests` : '';
  return (
    `${base}  loop p99 ${fmtNum(d.p99Ms)} ms, max ${fmtNum(d.maxMs)} ms (${d.samples}), event wait p99 ${fmtNum(d.response.p99Ms)} ms, busy ` +
    `${fmtNum(100 * r.eventLoopUtilization.utilization, 0)}%  rss ${fmtNum(r.peakRssMiB, 0)} MiB  ` +
    `finish->close ${fmtNum(r.finishToCloseMs, 0)} ms  ${r.drainWaits} drain waits${kernel}  verified ${fmtNum(r.verify.seconds, 2)} s`
  );
}

const active = contenders.filter((c) => !c.skipped);
const idWidth = Math.max(...active.map((c) => c.id.length));
const results = {}; // chunk label -> id -> trials
const chunkLabel = (bytes) => formatSize(bytes);
const shownBackends = new Set();
process.once('SIGINT', () => {
  removeTarget();
  process.exit(130);
});
try {
  for (const chunkBytes of chunkSizes) {
    const key = chunkLabel(chunkBytes);
    results[key] = Object.fromEntries(active.map((c) => [c.id, []]));
    console.log(`${key} chunks:`);
    for (let run = 1; run <= runs; run++) {
      const k = (run - 1) % active.length;
      for (const c of [...active.slice(k), ...active.slice(0, k)]) {
        const r = runOne(c, chunkBytes);
        results[key][c.id].push(r);
        if (c.impl === 'aiofs' && !c.backend) {
          c.backend = r.backend;
          const about = `${JSON.stringify(r.backend)}; defaults ${JSON.stringify(r.defaults)}`;
          if (!shownBackends.has(about)) {
            shownBackends.add(about);
            console.log(`  aiofs backend: ${about}`);
          }
        }
        console.log(`  ${key} run ${run}/${runs}  ${c.id.padEnd(idWidth)} ${describe(c, r)}`);
      }
    }
    console.log();
  }
} catch (err) {
  if (err instanceof WrongData) {
    console.error(`(the file is left at ${target} for inspection)`);
  } else {
    removeTarget();
  }
  fail(/** @type {Error} */ (err).message);
}
removeTarget();

// ---- summary ----------------------------------------------------------------

function summarizeTrials(c, trials) {
  const node = c.kind === 'node';
  const mbps = trials.map((t) => t.mbPerSec);
  return {
    medianMBps: median(mbps),
    minMBps: min(mbps),
    maxMBps: max(mbps),
    medianSeconds: median(trials.map((t) => t.seconds)),
    medianCpuSecPerGiB: median(trials.map((t) => t.cpuSecPerGiB)),
    // per-trial p99 summarized by its median; max is the worst stall seen in any trial
    medianLoopDelayP99Ms: node ? median(trials.map((t) => t.eventLoopDelay.p99Ms)) : null,
    worstLoopDelayMaxMs: node ? max(trials.map((t) => t.eventLoopDelay.maxMs ?? NaN)) : null,
    medianEventWaitP99Ms: node ? median(trials.map((t) => t.eventLoopDelay.response.p99Ms)) : null,
    medianLoopBusyMsPerGiB: node ? median(trials.map((t) => t.eventLoopUtilization.busyMsPerGiB)) : null,
    medianLoopSamples: node ? median(trials.map((t) => t.eventLoopDelay.samples)) : null,
    medianFinishToCloseMs: node ? median(trials.map((t) => t.finishToCloseMs)) : null,
    medianProduceSecPerGiB: node ? median(trials.map((t) => t.produceSec / (size / GiB))) : null,
    medianPeakRssMiB: node ? median(trials.map((t) => t.peakRssMiB)) : null,
    maxPeakRssMiB: node ? max(trials.map((t) => t.peakRssMiB)) : null,
  };
}

// Targets from the issue, for each aiofs option set: `flush` picks its
// contender with or without flush: true, `base` the baseline (fs: the one with
// the same flush setting), `get` the figure, `higher` which way is better,
// `factor` scales the baseline.
const TARGETS = [
  { name: 'flush: >= 1.5x fs flush (MB/s)', flush: true, base: 'fs', get: 'medianMBps', factor: 1.5, higher: true },
  { name: 'flush: >= 0.8x fio (MB/s)', flush: true, base: 'fio', get: 'medianMBps', factor: 0.8, higher: true },
  { name: 'no flush: >= 1x fs (MB/s)', flush: false, base: 'fs', get: 'medianMBps', factor: 1, higher: true },
  { name: 'no flush: loop p99 <= fs', flush: false, base: 'fs', get: 'medianLoopDelayP99Ms', factor: 1, higher: false },
  { name: 'flush: loop p99 <= fs flush', flush: true, base: 'fs', get: 'medianLoopDelayP99Ms', factor: 1, higher: false },
  { name: 'no flush: event wait p99 <= fs', flush: false, base: 'fs', get: 'medianEventWaitP99Ms', factor: 1, higher: false },
  { name: 'flush: event wait p99 <= fs flush', flush: true, base: 'fs', get: 'medianEventWaitP99Ms', factor: 1, higher: false },
];
// Median over rounds of (contender / baseline) within the same round: the
// device's speed drifts during a run, and the trials of one round ran back to
// back. Shown next to the ratio of medians, which is what the verdict uses.
const TRIAL_FIGURE = {
  medianMBps: (t) => t.mbPerSec,
  medianLoopDelayP99Ms: (t) => t.eventLoopDelay.p99Ms,
  medianEventWaitP99Ms: (t) => t.eventLoopDelay.response.p99Ms,
};
function pairedRatio(key, id, baseId, figure) {
  return pairedTrialRatio(results[key]?.[id], results[key]?.[baseId], TRIAL_FIGURE[figure]);
}
const UNITS = { medianMBps: 'MB/s', medianCpuSecPerGiB: 's/GiB', medianLoopDelayP99Ms: 'ms', medianEventWaitP99Ms: 'ms' };

const out = {
  benchmark: 'sequential-write',
  date: new Date().toISOString(),
  config: { file: target, size, runs, windowSeconds, chunkSizes, fioArgs, aiofsOptionSets, cache: cacheNote },
  env: { ...env, fio: fioVer ?? null },
  chunks: {},
};

for (const chunkBytes of chunkSizes) {
  const key = chunkLabel(chunkBytes);
  const summaries = Object.fromEntries(active.map((c) => [c.id, summarizeTrials(c, results[key][c.id])]));
  const med = (id) => summaries[id]?.medianMBps ?? NaN;
  const rows = contenders.map((c) => {
    if (c.skipped) return [c.label, 'skipped', '', '', '', '', '', '', '', ''];
    const s = summaries[c.id];
    const node = c.kind === 'node';
    return [
      c.label,
      fmtNum(s.medianMBps, 0),
      `${fmtNum(s.minMBps, 0)} - ${fmtNum(s.maxMBps, 0)}`,
      node ? fmtRatio(s.medianMBps / med(fsBaseOf(c))) : 'n/a',
      fmtRatio(s.medianMBps / med('fio')),
      fmtNum(s.medianCpuSecPerGiB),
      node ? fmtNum(s.medianLoopDelayP99Ms) : 'n/a',
      node ? fmtNum(s.worstLoopDelayMaxMs) : 'n/a',
      node ? fmtNum(s.medianLoopBusyMsPerGiB, 0) : 'n/a',
      node ? fmtNum(s.medianPeakRssMiB, 0) : 'n/a',
    ];
  });
  console.log(
    `Results, ${key} chunks (median of ${runs} run(s), ${formatSize(size)} written per pass, node trials writing again for ${windowSeconds} s; ${cacheNote}):\n`,
  );
  console.log(
    table(
      [
        'contender',
        'MB/s',
        'min - max',
        'vs fs',
        'vs fio',
        'CPU s/GiB',
        'loop p99 ms',
        'loop max ms',
        'loop busy ms/GiB',
        'peak RSS MiB',
      ],
      rows,
    ),
  );

  const fewSamples = active.filter((c) => c.kind === 'node' && /** @type {number} */ (summaries[c.id].medianLoopSamples) < 500);
  if (fewSamples.length > 0) {
    console.log(
      `\n  caution: ${fewSamples.map((c) => c.id).join(', ')} took under ~0.5 s per trial, so the loop-delay histogram ` +
        'has under 500 samples and its p99 is about its 5 worst ticks (one-off start-up stalls weigh in); use a larger --size',
    );
  }

  const targets = [];
  console.log(`\nTargets (${key} chunks):`);
  for (const set of aiofsOptionSets.keys()) {
    const pair = aiofsContenders.filter((c) => c.set === set);
    if (pair.length === 0) continue;
    const first = pair.find((c) => !c.flush) ?? pair[0];
    console.log(`  ${aiofsLabel(first)}${first.skipped ? `: n/a (${first.skipped})` : ''}`);
    for (const t of TARGETS) {
      // Each option set has its contender with and without flush.
      const c = /** @type {Contender} */ (pair.find((x) => x.flush === t.flush));
      const baseId = t.base === 'fs' ? fsBaseOf(c) : t.base;
      const baseC = contenders.find((x) => x.id === baseId);
      const value = summaries[c.id]?.[t.get];
      const baseValue = summaries[baseId]?.[t.get];
      const paired = pairedRatio(key, c.id, baseId, t.get);
      let met = null,
        verdict;
      if (c.skipped || !Number.isFinite(value) || !Number.isFinite(baseValue)) {
        verdict = `n/a (${c.skipped ? 'aiofs skipped' : (baseC?.skipped ?? `${baseId} not run`)})`;
      } else {
        const limit = baseValue * t.factor;
        met = t.higher ? value >= limit : value <= limit;
        const u = UNITS[t.get];
        const ratio = baseValue > 0 ? ` = ${fmtRatio(value / baseValue)}` : '';
        verdict =
          `${met ? 'MET    ' : 'NOT MET'}  ${fmtNum(value)} vs ${fmtNum(baseValue)} ${u}${ratio} ` +
          `(needs ${t.higher ? '>=' : '<='} ${fmtNum(limit)} ${u})` +
          (Number.isFinite(paired) ? `; per-round ratios: median ${fmtRatio(paired)}` : '');
      }
      console.log(`    ${t.name.padEnd(30)} ${verdict}`);
      targets.push({
        contender: c.id,
        options: c.options,
        name: t.name,
        base: baseId,
        figure: t.get,
        factor: t.factor,
        value: Number.isFinite(value) ? value : null,
        baseValue: Number.isFinite(baseValue) ? baseValue : null,
        pairedRatioMedian: Number.isFinite(paired) ? paired : null,
        met,
      });
    }
    if (first.backend && first.backend.name !== 'kernel-aio') {
      console.log(`    note: ran on the fallback backend (${first.backend.name}: ${first.backend.reason})`);
    }
    const viaFs = pair.filter((c) => !c.skipped && results[key][c.id].some((t) => !t.kernelRequests));
    if (viaFs.length > 0) {
      console.log(
        `    note: ${viaFs.map((c) => c.id).join(', ')} sent no request to the kernel in some trials (wrote through node:fs)`,
      );
    }
  }
  console.log();
  out.chunks[key] = {
    chunkBytes,
    contenders: contenders.map((c) => ({
      id: c.id,
      label: c.label,
      flush: c.flush ?? null,
      options: c.options ?? null,
      skipped: c.skipped ?? null,
      backend: c.backend ?? null,
      summary: summaries[c.id] ?? null,
      trials: results[key][c.id] ?? [],
    })),
    ratios: Object.fromEntries(
      aiofsContenders
        .filter((c) => !c.skipped)
        .map((c) => [
          c.id,
          {
            vsFs: med(c.id) / med(fsBaseOf(c)) || null,
            vsFio: med(c.id) / med('fio') || null,
          },
        ]),
    ),
    targets,
  };
}
console.log("  MB/s: 10^6 bytes/s from createWriteStream() (open included) to 'close' (with flush: after the fsync);");
console.log('    fio: its own bandwidth figure (O_DIRECT writes into a file it allocated first; no fsync).');
console.log("    Without flush, fs's writes may still sit in the page cache when it closes; aiofs's are O_DIRECT,");
console.log('    so they have reached the device (its write cache, at least).');
console.log('  vs fs: against fs.createWriteStream with the same flush setting.');
console.log('  CPU s/GiB: median user+system CPU seconds per GiB (node: whole process incl. threadpool, and');
console.log('    making the chunks, the same for every contender; fio: usr+sys).');
console.log('  loop p99/max: event-loop delay beyond the 1 ms sampling timer (median of per-trial p99, worst');
console.log('    per-trial max); up to ~1 ms is timer granularity, not blocking. loop busy ms/GiB: main-thread time');
console.log(
  '    spent running (not waiting in epoll) per GiB written (eventLoopUtilization). peak RSS: median per-trial maxRSS.',
);
console.log('  event wait p99: how long a message posted by a worker every 1 ms waited before the main thread handled');
console.log(
  "    it (median of per-trial p99): event-loop delay without the timer's millisecond rounding (bench/lib/loop-delay.mjs).",
);
console.log('  Every file a node trial wrote is read back and checked: its size, every 4 KiB block header (block');
console.log('    index) and every byte, against the pattern computed here.');

if (opt.json) {
  mkdirSync(dirname(resolve(opt.json)), { recursive: true });
  writeFileSync(resolve(opt.json), `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\nWrote ${resolve(opt.json)}`);
}
