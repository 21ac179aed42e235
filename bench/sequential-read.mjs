#!/usr/bin/env node
// Sequential-read (streaming) benchmark: aiofs createReadStream vs
// fs.createReadStream (64 KiB default and 1 MiB highWaterMark) vs fio
// (libaio, O_DIRECT, 1 MiB x 8 in flight: the device limit), over one large
// file, cold and warm page cache, each trial in a fresh process, contenders
// interleaved per round, medians over several runs.
//
//   node bench/sequential-read.mjs [--size 1G] [--runs 5] [--quick] [--modes cold,warm] [--warm-seconds 2]
//                                  [--aiofs-options JSON] [--variants JSON-ARRAY]
//                                  [--only fio,fs,fs-1m,aiofs] [--dir DIR] [--json FILE]
//
// A benchmark, not a test: slow numbers never fail it. It exits non-zero only
// on real errors (wrong data streamed, fio missing, a trial crashing).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { dropCaches, residentBytes, warmFile } from './lib/cache.mjs';
import { runNodeTrial } from './lib/child.mjs';
import { ensureDataFile, formatSize, parseSize } from './lib/datafile.mjs';
import { describeEnv } from './lib/env.mjs';
import { fioVersion, runFio, summarize } from './lib/fio.mjs';
import { fmtNum, fmtRatio, max, median, min, table } from './lib/stats.mjs';
import { compareStream, EDGE, streamReference } from './lib/verify.mjs';
import { fail } from './lib/fail.mjs';
import { IO_URING_ENV } from './lib/io-uring.mjs';
import { aiofsDist } from './lib/aiofs-build.mjs';
import { aiofsOptionSets as parseAiofsOptionSets, aiofsProblem, pairedRatio as pairedTrialRatio } from './lib/stream-bench.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const TRIAL = here('./trials/sequential-read-trial.mjs');
const AIOFS_STREAM_DIST = aiofsDist('read-stream.js');
const AIOFS_INDEX = aiofsDist('index.mjs');
const MiB = 2 ** 20;
const GiB = 2 ** 30;

const { values: opt } = parseArgs({
  options: {
    size: { type: 'string' },
    runs: { type: 'string' },
    quick: { type: 'boolean', default: false },
    modes: { type: 'string', default: 'cold,warm' },
    'warm-seconds': { type: 'string' },
    'aiofs-options': { type: 'string' },
    variants: { type: 'string' },
    only: { type: 'string', default: 'fio,fs,fs-1m,aiofs' },
    dir: { type: 'string', default: process.env.AIOFS_BENCH_DIR || here('./.data') },
    json: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  console.log(`usage: node bench/sequential-read.mjs [options]
  --size S              data file size (default 1G; units K M G T, binary; a multiple of 1M)
  --runs N              trials per contender and mode, interleaved (default 5)
  --quick               --size 256M --runs 2 (explicit --size/--runs still win)
  --modes LIST          cold,warm (default both); cold needs root to drop the page cache
  --warm-seconds S      a warm trial streams the file again, back to back, until S seconds of
                        streaming (default 2, --quick 1), so every contender's loop-delay p99 rests
                        on about as many ticks; cold trials stream it once
  --aiofs-options JSON  options for aiofs's createReadStream, e.g. '{"readAhead":8,"chunkSize":1048576}'
                        (default: none, i.e. createReadStream(file) with aiofs's defaults)
  --variants JSON       more aiofs option sets run side by side, a JSON array of objects,
                        e.g. '[{"readAhead":16},{"cache":"bypass"}]'
  --only LIST           contenders (default fio,fs,fs-1m,aiofs; aiofs covers all its variants; also
                        fs-uring: fs.createReadStream with UV_USE_IO_URING=1)
  --dir DIR             data file directory (default $AIOFS_BENCH_DIR or bench/.data)
  --json FILE           write all results as JSON (the folder is created)`);
  process.exit(0);
}

const size = parseSize(opt.size ?? (opt.quick ? '256M' : '1G'));
const runs = Number(opt.runs ?? (opt.quick ? 2 : 5));
if (!Number.isInteger(runs) || runs < 1) fail('--runs must be a positive integer');
const warmSeconds = Number(opt['warm-seconds'] ?? (opt.quick ? 1 : 2));
if (!(warmSeconds >= 0)) fail('--warm-seconds must be a number >= 0');
if (size < MiB || size % MiB !== 0) fail('--size must be a non-zero multiple of 1M (fio reads it in 1 MiB blocks)');
const modes = opt.modes
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
for (const m of modes) if (!['cold', 'warm'].includes(m)) fail(`--modes: unknown mode "${m}"`);
if (modes.length === 0) fail('--modes: nothing to run');
const only = opt.only.split(',').map((s) => s.trim());
for (const id of only) if (!['fio', 'fs', 'fs-1m', 'fs-uring', 'aiofs'].includes(id)) fail(`--only: unknown contender "${id}"`);

const aiofsOptionSets = parseAiofsOptionSets(opt);

// ---- contenders -----------------------------------------------------------

const FIO_ARGS = ['--ioengine=libaio', '--direct=1', '--rw=read', '--bs=1M', '--iodepth=8'];
/**
 * @typedef {{ id: string, label: string, kind: string, impl?: string, options?: object | null, env?: NodeJS.ProcessEnv,
 *   skipped?: string, backend?: { name: string, reason?: string } }} Contender
 */
/** @type {Contender[]} */
const contenders = [
  { id: 'fio', label: 'fio libaio O_DIRECT 1M x8', kind: 'fio' },
  { id: 'fs', label: 'fs.createReadStream', kind: 'node', impl: 'fs', options: null },
  { id: 'fs-1m', label: 'fs.createReadStream 1 MiB', kind: 'node', impl: 'fs', options: { highWaterMark: MiB } },
  { id: 'fs-uring', label: 'fs.createReadStream io_uring', kind: 'node', impl: 'fs', options: null, env: IO_URING_ENV },
  ...aiofsOptionSets.map((options, i) => ({
    id: i === 0 ? 'aiofs' : `aiofs-${i + 1}`,
    label: options === null || Object.keys(options).length === 0 ? 'aiofs createReadStream' : `aiofs ${JSON.stringify(options)}`,
    kind: 'node',
    impl: 'aiofs',
    options,
  })),
].filter((c) => only.includes(c.impl === 'aiofs' ? 'aiofs' : c.id));
const aiofsContenders = contenders.filter((c) => c.impl === 'aiofs');

if (aiofsContenders.length > 0) {
  const why = aiofsProblem(AIOFS_STREAM_DIST, AIOFS_INDEX, 'createReadStream');
  if (why) for (const c of aiofsContenders) c.skipped = why;
}

let fioVer;
if (contenders.some((c) => c.id === 'fio')) fioVer = fioVersion(); // throws if fio is missing

// ---- setup ----------------------------------------------------------------

const data = ensureDataFile(resolve(opt.dir), size);
const fioArgs = [
  '--name=seqread',
  `--filename=${data.path.replace(/:/g, '\\:')}`,
  ...FIO_ARGS,
  `--size=${size}`,
  // fio drops the file's cached pages before a job by default; that would
  // turn the warm trials after it cold. O_DIRECT reads neither use nor fill the cache.
  '--invalidate=0',
];

console.log(
  `Reference pass: reading ${data.path} once with fs.readSync (checks every block, hashes the first/last ${formatSize(EDGE)}) ...`,
);
const t0 = process.hrtime.bigint();
const reference = streamReference(data.path, size);
console.log(`  done in ${fmtNum(Number(process.hrtime.bigint() - t0) / 1e9)} s`);

const fincore = residentBytes(data.path);
const modeState = {};
for (const mode of modes) modeState[mode] = { mode, skipped: null, note: '' };
if (modeState.cold) {
  const probe = dropCaches();
  if (!probe.ok) {
    modeState.cold.skipped = `cannot drop the page cache (${probe.reason})`;
    console.log('\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!');
    console.log(`!!! COLD MODE SKIPPED: ${modeState.cold.skipped}.`);
    console.log('!!! Cold-cache numbers need root (writing /proc/sys/vm/drop_caches); run as root for them.');
    console.log('!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n');
  } else {
    modeState.cold.note = 'page cache dropped (sync; echo 3 > drop_caches) before every trial';
  }
}
if (modeState.warm) {
  modeState.warm.note = fincore.ok
    ? 'file read once beforehand; fincore confirms it fully cached before every trial (re-read if not)'
    : `file read once beforehand; ${fincore.reason}, so residency is checked by timing a second read only`;
}

const env = describeEnv(data.path);
const aiofsLabel = (c) => `${c.label}${c.options === null ? ' (defaults)' : ''}`;
console.log(
  `\naiofs sequential-read benchmark: stream ${formatSize(size)} per trial (warm: again until ${warmSeconds} s), ${runs} run(s) per contender and mode ` +
    `(${modes.join(', ')}), fresh process per trial, contenders interleaved (order rotated each round)`,
);
console.log(`  file   ${data.path} (${formatSize(size)}${data.created ? ', just written' : ', reused'})`);
console.log(
  `  env    node ${env.node}, ${env.kernel}, ${env.cpu}, ${env.memoryGiB} GiB RAM, ${env.filesystem}, UV_THREADPOOL_SIZE=${env.uvThreadpoolSize}`,
);
if (fioVer) console.log(`  fio    ${fioVer}: ${FIO_ARGS.join(' ')} --size=${size}`);
for (const c of aiofsContenders)
  console.log(`  aiofs  ${aiofsLabel(c)}: options ${c.options === null ? 'none' : JSON.stringify(c.options)}`);
for (const c of contenders) if (c.skipped) console.log(`  SKIP   ${c.id}: ${c.skipped}`);
for (const m of Object.values(modeState)) console.log(`  ${m.mode.padEnd(6)} ${m.skipped ? `SKIPPED: ${m.skipped}` : m.note}`);
console.log();

// ---- trials, interleaved so machine noise hits every contender alike --------

const pct = (bytes) => `${fmtNum((100 * bytes) / size, 1)}%`;

// Bring the page cache into the state the mode needs; returns what was found.
function prepareCache(mode) {
  if (mode === 'cold') {
    if (!dropCaches().ok) throw new Error('dropping the page cache stopped working');
    const r = residentBytes(data.path);
    if (r.ok && r.bytes > 0) console.log(`  warning: ${pct(r.bytes)} of the file still cached right after drop_caches`);
    return { residentBytes: r.ok ? r.bytes : null, rewarmed: false };
  }
  let r = residentBytes(data.path);
  if (!r.ok) return { residentBytes: null, rewarmed: false };
  let rewarmed = false;
  if (r.bytes < size) {
    console.log(`  note: only ${pct(r.bytes)} of the file cached before this warm trial; reading it again (untimed)`);
    warmFile(data.path);
    rewarmed = true;
    r = residentBytes(data.path);
    if (r.ok && r.bytes < size)
      throw new Error(`cannot keep the file in the page cache (${pct(r.bytes)} resident after re-reading it)`);
  }
  return { residentBytes: r.ok ? r.bytes : undefined, rewarmed };
}

function runOne(c, mode) {
  const cache = prepareCache(mode);
  if (c.kind === 'fio') {
    const r = summarize(runFio(fioArgs));
    if (r.bytes !== size) throw new Error(`fio read ${r.bytes} bytes, expected ${size}`);
    return { ...r, mbPerSec: r.bytesPerSec / 1e6, cpuSecPerGiB: r.cpuSec / (size / GiB), cache };
  }
  const r = runNodeTrial(TRIAL, [c.impl, data.path, JSON.stringify(c.options), String(mode === 'warm' ? warmSeconds : 0)], c.env);
  const wrong = compareStream(r.verify, reference);
  if (wrong) throw new Error(`${c.label} streamed WRONG DATA: ${wrong}`);
  if (!r.closed) console.log(`  warning: ${c.label}: no 'close' within 5 s after 'end' (file left open?)`);
  return { ...r, cache };
}

function describe(c, r) {
  const passes = r.passes > 1 ? ` (${r.passes} passes)` : '';
  const base = `${fmtNum(r.mbPerSec, 0).padStart(6)} MB/s  ${fmtNum(r.seconds, 3).padStart(6)} s${passes}  cpu ${fmtNum(r.cpuSecPerGiB)} s/GiB`;
  if (c.kind === 'fio') return base;
  const d = r.eventLoopDelay;
  return (
    `${base}  loop p99 ${fmtNum(d.p99Ms)} ms, max ${fmtNum(d.maxMs)} ms (${d.samples}), busy ` +
    `${fmtNum(100 * r.eventLoopUtilization.utilization, 0)}%  rss ${fmtNum(r.peakRssMiB, 0)} MiB  ` +
    `1st chunk ${fmtNum(r.firstChunkMs, 1)} ms  ${r.verify.chunks} x ${fmtNum(r.verify.meanChunk / 1024, 0)} KiB`
  );
}

const active = contenders.filter((c) => !c.skipped);
const results = {}; // mode -> id -> trials
try {
  for (const state of Object.values(modeState)) {
    if (state.skipped) continue;
    const mode = state.mode;
    results[mode] = Object.fromEntries(active.map((c) => [c.id, []]));
    console.log(`${mode.toUpperCase()} page cache:`);
    if (mode === 'warm') {
      const s1 = warmFile(data.path);
      const r = residentBytes(data.path);
      if (r.ok) {
        console.log(`  warm-up read ${fmtNum(size / s1 / 1e6, 0)} MB/s; fincore: ${pct(r.bytes)} of the file cached`);
      } else {
        const s2 = warmFile(data.path);
        state.timingCheck = { firstMBps: size / s1 / 1e6, secondMBps: size / s2 / 1e6 };
        console.log(
          `  warm-up read ${fmtNum(size / s1 / 1e6, 0)} MB/s, second read ${fmtNum(size / s2 / 1e6, 0)} MB/s ` +
            `(no fincore: cached reads should be far faster than the disk)`,
        );
      }
    }
    for (let run = 1; run <= runs; run++) {
      const k = (run - 1) % active.length;
      for (const c of [...active.slice(k), ...active.slice(0, k)]) {
        const r = runOne(c, mode);
        results[mode][c.id].push(r);
        if (c.impl === 'aiofs' && !c.backend) {
          c.backend = r.backend;
          console.log(`  aiofs backend: ${JSON.stringify(r.backend)}; highWaterMark ${r.highWaterMark}`);
        }
        console.log(`  ${mode} run ${run}/${runs}  ${c.id.padEnd(8)} ${describe(c, r)}`);
      }
    }
    console.log();
  }
} catch (err) {
  fail(/** @type {Error} */ (err).message);
}

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
    medianLoopBusyMsPerGiB: node ? median(trials.map((t) => t.eventLoopUtilization.busyMsPerGiB)) : null,
    medianLoopSamples: node ? median(trials.map((t) => t.eventLoopDelay.samples)) : null,
    medianFirstChunkMs: node ? median(trials.map((t) => t.firstChunkMs)) : null,
    medianPeakRssMiB: node ? median(trials.map((t) => t.peakRssMiB)) : null,
    maxPeakRssMiB: node ? max(trials.map((t) => t.peakRssMiB)) : null,
    medianChunkBytes: node ? median(trials.map((t) => t.verify.meanChunk)) : null,
  };
}

// Targets from the issue, for each aiofs contender. `get` picks the figure,
// `cmp` says which way is better; `factor` scales the baseline.
const TARGETS = {
  cold: [
    { name: '>= 0.9x fio (MB/s)', base: 'fio', get: 'medianMBps', factor: 0.9, higher: true },
    { name: '>= 3x fs default (MB/s)', base: 'fs', get: 'medianMBps', factor: 3, higher: true },
    { name: 'CPU/GiB <= 0.5x fs default', base: 'fs', get: 'medianCpuSecPerGiB', factor: 0.5, higher: false },
    { name: 'loop p99 <= fs default', base: 'fs', get: 'medianLoopDelayP99Ms', factor: 1, higher: false },
  ],
  warm: [
    { name: '>= 3x fs default (MB/s)', base: 'fs', get: 'medianMBps', factor: 3, higher: true },
    { name: '>= 1.5x fs 1 MiB (MB/s)', base: 'fs-1m', get: 'medianMBps', factor: 1.5, higher: true },
    { name: 'CPU/GiB <= 0.5x fs default', base: 'fs', get: 'medianCpuSecPerGiB', factor: 0.5, higher: false },
    { name: 'loop p99 <= fs default', base: 'fs', get: 'medianLoopDelayP99Ms', factor: 1, higher: false },
  ],
};
// Median over rounds of (contender / baseline) within the same round: the
// device's speed drifts during a run (fio alone varied 1.8-3.4 GB/s here), and
// the trials of one round ran back to back. Shown next to the ratio of
// medians, which is what the verdict uses.
const TRIAL_FIGURE = { medianMBps: (t) => t.mbPerSec };
function pairedRatio(mode, id, baseId, figure) {
  return pairedTrialRatio(results[mode]?.[id], results[mode]?.[baseId], TRIAL_FIGURE[figure]);
}
const UNITS = { medianMBps: 'MB/s', medianCpuSecPerGiB: 's/GiB', medianLoopDelayP99Ms: 'ms' };

const out = {
  benchmark: 'sequential-read',
  date: new Date().toISOString(),
  config: { file: data.path, size, runs, modes, warmSeconds, fioArgs, aiofsOptionSets, edgeBytes: EDGE },
  env: { ...env, fio: fioVer ?? null, fincore: fincore.ok ? 'available' : fincore.reason },
  reference,
  modes: {},
};

for (const state of Object.values(modeState)) {
  const mode = state.mode;
  if (state.skipped) {
    console.log(`${mode.toUpperCase()}: SKIPPED (${state.skipped})\n`);
    out.modes[mode] = { skipped: state.skipped };
    continue;
  }
  const summaries = Object.fromEntries(active.map((c) => [c.id, summarizeTrials(c, results[mode][c.id])]));
  const med = (id) => summaries[id]?.medianMBps ?? NaN;
  const rows = contenders.map((c) => {
    if (c.skipped) return [c.label, 'skipped', '', '', '', '', '', '', '', '', ''];
    const s = summaries[c.id];
    const node = c.kind === 'node';
    return [
      c.label,
      fmtNum(s.medianMBps, 0),
      `${fmtNum(s.minMBps, 0)} - ${fmtNum(s.maxMBps, 0)}`,
      fmtRatio(s.medianMBps / med('fs')),
      fmtRatio(s.medianMBps / med('fs-1m')),
      fmtRatio(s.medianMBps / med('fio')),
      fmtNum(s.medianCpuSecPerGiB),
      node ? fmtNum(s.medianLoopDelayP99Ms) : 'n/a',
      node ? fmtNum(s.worstLoopDelayMaxMs) : 'n/a',
      node ? fmtNum(s.medianLoopBusyMsPerGiB, 0) : 'n/a',
      node ? fmtNum(s.medianPeakRssMiB, 0) : 'n/a',
    ];
  });
  const streamed =
    mode === 'warm' && warmSeconds > 0
      ? `${formatSize(size)} streamed again and again for ${warmSeconds} s per trial`
      : `${formatSize(size)} streamed per trial`;
  console.log(`Results, ${mode.toUpperCase()} page cache (median of ${runs} run(s), ${streamed}; ${state.note}):\n`);
  console.log(
    table(
      [
        'contender',
        'MB/s',
        'min - max',
        'vs fs',
        'vs fs 1M',
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
        'has under 500 samples and its p99 is about its 5 worst ticks (one-off start-up stalls weigh in); use a larger --size' +
        (mode === 'warm' ? ' or --warm-seconds' : ''),
    );
  }

  const targets = [];
  console.log(`\nTargets (${mode}):`);
  for (const c of aiofsContenders) {
    console.log(`  ${aiofsLabel(c)}${c.skipped ? `: n/a (${c.skipped})` : ''}`);
    for (const t of TARGETS[mode]) {
      const baseC = contenders.find((x) => x.id === t.base);
      const value = summaries[c.id]?.[t.get];
      const baseValue = summaries[t.base]?.[t.get];
      let met = null,
        verdict;
      if (c.skipped || !Number.isFinite(value) || !Number.isFinite(baseValue)) {
        verdict = `n/a (${c.skipped ? 'aiofs skipped' : (baseC?.skipped ?? `${t.base} not run`)})`;
      } else {
        const limit = baseValue * t.factor;
        met = t.higher ? value >= limit : value <= limit;
        const u = UNITS[t.get];
        const ratio = baseValue > 0 ? ` = ${fmtRatio(value / baseValue)}` : '';
        const paired = pairedRatio(mode, c.id, t.base, t.get);
        verdict =
          `${met ? 'MET    ' : 'NOT MET'}  ${fmtNum(value)} vs ${fmtNum(baseValue)} ${u}${ratio} ` +
          `(needs ${t.higher ? '>=' : '<='} ${fmtNum(limit)} ${u})` +
          (t.get === 'medianMBps' && Number.isFinite(paired) ? `; per-round ratios: median ${fmtRatio(paired)}` : '');
      }
      console.log(`    ${t.name.padEnd(28)} ${verdict}`);
      const paired = pairedRatio(mode, c.id, t.base, t.get);
      targets.push({
        contender: c.id,
        options: c.options,
        name: t.name,
        base: t.base,
        figure: t.get,
        factor: t.factor,
        value: Number.isFinite(value) ? value : null,
        baseValue: Number.isFinite(baseValue) ? baseValue : null,
        pairedRatioMedian: Number.isFinite(paired) ? paired : null,
        met,
      });
    }
    if (c.backend && c.backend.name !== 'kernel-aio') {
      console.log(`    note: ran on the fallback backend (${c.backend.name}: ${c.backend.reason})`);
    }
  }
  if (mode === 'warm' && contenders.some((c) => c.id === 'fio' && !c.skipped)) {
    console.log('  (warm: fio uses O_DIRECT, so it still reads the disk; its column is the device limit, not a cached rate)');
  }
  console.log();
  out.modes[mode] = {
    cacheNote: state.note,
    timingCheck: state.timingCheck ?? null,
    contenders: contenders.map((c) => ({
      id: c.id,
      label: c.label,
      options: c.options ?? null,
      skipped: c.skipped ?? null,
      backend: c.backend ?? null,
      summary: summaries[c.id] ?? null,
      trials: results[mode][c.id] ?? [],
    })),
    ratios: Object.fromEntries(
      aiofsContenders
        .filter((c) => !c.skipped)
        .map((c) => [
          c.id,
          {
            vsFs: med(c.id) / med('fs') || null,
            vsFs1m: med(c.id) / med('fs-1m') || null,
            vsFio: med(c.id) / med('fio') || null,
          },
        ]),
    ),
    targets,
  };
}
console.log(
  "  MB/s: 10^6 bytes/s from createReadStream() (open included) to 'end' (warm: over all passes); fio: its own bandwidth figure.",
);
console.log('  CPU s/GiB: median user+system CPU seconds per GiB (node: whole process incl. threadpool; fio: usr+sys).');
console.log('  loop p99/max: event-loop delay beyond the 1 ms sampling timer (median of per-trial p99, worst');
console.log('    per-trial max); up to ~1 ms is timer granularity, not blocking. A per-trial p99 depends on the');
console.log("    trial's length (fewer ticks put it nearer the max), hence the warm passes; a cold trial is one pass,");
console.log('    so a faster contender has fewer ticks there. loop busy ms/GiB: main-thread time spent');
console.log('    running (not waiting in epoll) per GiB streamed (eventLoopUtilization). peak RSS: median per-trial maxRSS.');
console.log('  Every node trial is checked: total length, every 4 KiB block header, a hash over 4 bytes per block,');
console.log(`    sha256 of the first and last ${formatSize(EDGE)}, all against a reference read once with fs.readSync.`);

if (opt.json) {
  mkdirSync(dirname(resolve(opt.json)), { recursive: true });
  writeFileSync(resolve(opt.json), `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\nWrote ${resolve(opt.json)}`);
}
