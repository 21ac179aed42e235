// Whole files through fs/promises and aiofs/promises, a matrix: readFile (and, up to 64 KiB, a read
// stream of the whole file, timed to its first 'data' event), writeFile of a new
// file, writeFile over an existing one ('w'), appendFile, and writeFile with flush: true; 0 B to 256 MiB
// (capped at --size); one call at a time and 64 at once on 64 distinct files (where 64 files of the size
// fit in --size). Reads warm (the files cached by the parent before every trial) and cold (page cache
// dropped before every trial, as root; every file read once). The value is calls per second; MB/s and
// latency p50/p99 per call ride along, with the costs every scenario reports. Reference: the C floor
// (probes/small-file.c) of one warm read or rewrite at a time.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dropCaches, warmFile } from '../../lib/cache.mjs';
import { runNodeTrial } from '../../lib/child.mjs';
import { formatSize } from '../../lib/datafile.mjs';
import { fmtRatio } from '../../lib/stats.mjs';
import { cFloor } from '../c-floor.mjs';
import { nodeContenders } from '../contenders.mjs';
import { dataFiles } from '../data.mjs';
import { addMedians, runRounds, summarizeCase } from '../summary.mjs';
import { checkTarget, fasterFs, fig, figures, loopTarget } from '../targets.mjs';

const TRIAL = fileURLToPath(new URL('../trials/whole-file-trial.mjs', import.meta.url));
const KiB = 2 ** 10,
  MiB = 2 ** 20;
const COLD_FILES = 256; // the most files a cold trial reads, once each
const WRITES = /** @type {const} */ (['writeFile-new', 'writeFile-rewrite', 'appendFile', 'writeFile-flush']);
/** The C floor (c-floor.mjs) of each write, one call at a time. */
const WRITE_FLOOR = {
  'writeFile-new': 'newOpsPerSec',
  'writeFile-rewrite': 'rewriteOpsPerSec',
  appendFile: 'appendOpsPerSec',
  'writeFile-flush': 'flushOpsPerSec',
};
/** Streams are timed to their first 'data' event for files up to this size (a small file's first chunk is all of it). */
const STREAM_MAX = 64 * KiB;
const LABEL = {
  readFile: 'readFile',
  stream: 'stream',
  'writeFile-new': 'writeFile new',
  'writeFile-rewrite': 'writeFile rewrite',
  appendFile: 'appendFile',
  'writeFile-flush': 'writeFile flush',
};

/** How many files a cold trial reads: one per caller at least, else up to COLD_FILES and coldBytes of them; and the untimed first call's. */
const coldCount = (size, concurrency, coldBytes) =>
  Math.max(concurrency, Math.min(COLD_FILES, size > 0 ? Math.floor(coldBytes / size) : Infinity)) + 1;

/** `count` files of `size` bytes to read: the suite's data files, or empty ones. */
function readFiles(ctx, size, count) {
  if (size > 0) return dataFiles(ctx, `whole-${size}`, count, size);
  mkdirSync(join(ctx.dir, 'whole-0'), { recursive: true });
  return Array.from({ length: count }, (_, i) => {
    const path = join(ctx.dir, 'whole-0', String(i));
    writeFileSync(path, '');
    return path;
  });
}

/**
 * @param {any} ctx
 * @param {any[]} contenders
 * @param {{ mode: string, concurrency: number, size: number, floor: number | false }
 *   & ({ op: 'readFile' | 'stream', files: string[] } | { op: typeof WRITES[number], files?: undefined })} spec
 */
function runCase(ctx, contenders, { op, mode, concurrency, size, files, floor }) {
  const { minSeconds, coldBytes } = ctx.plan.wholeFile;
  const writeDir = join(ctx.dir, 'whole-writes');
  const reads = op === 'readFile' || op === 'stream';
  const label = `${LABEL[op]} ${formatSize(size)}${reads ? ` ${mode}` : ''} x${concurrency}`;
  const c = { id: label.replace(/ /g, '-'), label, op, mode, concurrency, size };
  if (mode === 'cold' && !ctx.cold.ok) return { ...c, skipped: `cold: cannot drop the page cache (${ctx.cold.reason})` };
  ctx.detail(`  ${label}`);
  const target = !reads
    ? writeDir
    : files.slice(0, mode === 'cold' ? coldCount(size, concurrency, coldBytes) : concurrency).join(',');
  const trials = runRounds(contenders, ctx.plan.runs, (x) => {
    if (mode === 'cold' && !dropCaches().ok) throw new Error('dropping the page cache stopped working');
    if (reads && mode === 'warm') files.slice(0, concurrency).forEach(warmFile);
    if (!reads) {
      rmSync(writeDir, { recursive: true, force: true });
      mkdirSync(writeDir);
      execFileSync('sync'); // no writeback of an earlier trial left
    }
    return runNodeTrial(TRIAL, [x.impl, op, mode, concurrency, size, minSeconds, target], x.env, { node: ctx.node });
  });
  rmSync(writeDir, { recursive: true, force: true });
  const results = addMedians(
    summarizeCase(contenders, trials, (t) => t.opsPerSec),
    trials,
    ['mbPerSec', 'latencyP50Ms', 'latencyP99Ms'],
  );
  if (floor) results.floor = { value: floor, runs: 1 };
  return { ...c, results };
}

/**
 * aiofs / the faster node:fs for every write case. Where the C floor was measured, node:fs does not
 * pass it, and 1.2x the faster node:fs would, a note says how far past the floor the target lies. (A
 * floor node:fs passes is no floor: the probe writes more than a trial, and on some machines fresh
 * page-cache memory costs far more than reused memory.)
 */
export function writeRows(cases) {
  return cases
    .filter((c) => c.results && WRITES.includes(c.op))
    .map((c) => {
      const r = c.results,
        faster = fasterFs(r),
        floor = fig(r, 'floor');
      const note =
        faster <= floor && 1.2 * faster > floor ? `1.2x node:fs is ${fmtRatio((1.2 * faster) / floor)} the C floor` : undefined;
      return { label: c.label, value: fig(r, 'aiofs') / faster, ...(note && { note }) };
    });
}

export function wholeFile(ctx) {
  const { sizes, concurrency: concurrencies, minSeconds, coldBytes, floorBytes } = ctx.plan.wholeFile;
  const contenders = nodeContenders(ctx);
  const floor = cFloor(ctx, sizes, floorBytes);
  if (!floor.ok) ctx.log(`  note: ${floor.reason}: no C floor column`);
  const cases = [];
  for (const size of sizes) {
    const fits = concurrencies.filter((n) => n === 1 || n * size <= ctx.plan.size);
    const files = readFiles(ctx, size, coldCount(size, Math.max(...fits), coldBytes));
    const floorOf = (key) => (floor.ok ? floor.bySize[size]?.[key] : null);
    for (const concurrency of fits) {
      for (const mode of ['warm', 'cold']) {
        cases.push(
          runCase(ctx, contenders, {
            op: 'readFile',
            mode,
            concurrency,
            size,
            files,
            floor: concurrency === 1 && mode === 'warm' && floorOf('readOpsPerSec'),
          }),
        );
        if (size > 0 && size <= STREAM_MAX)
          cases.push(runCase(ctx, contenders, { op: 'stream', mode, concurrency, size, files, floor: false }));
      }
      for (const op of WRITES) {
        cases.push(
          runCase(ctx, contenders, {
            op,
            mode: 'warm',
            concurrency,
            size,
            floor: concurrency === 1 && floorOf(WRITE_FLOOR[op]),
          }),
        );
      }
    }
    rmSync(join(ctx.dir, size > 0 ? `whole-${size}` : 'whole-0'), { recursive: true, force: true });
  }
  const warmRead = (lo, hi) => (c) => c.op === 'readFile' && c.mode === 'warm' && c.size >= lo && c.size <= hi;
  const vsUring = (r) => fig(r, 'aiofs') / fig(r, 'fs-uring');
  const noUring = ctx.ioUring.distinctContender ? undefined : `no node:fs io_uring column: ${ctx.ioUring.summary}`;
  return {
    title: 'Whole files',
    unit: 'ops/s',
    higher: true,
    reference: floor.ok ? 'floor' : null,
    note:
      `fs/promises vs aiofs/promises, xN: N calls in flight on N distinct files; warm reads: the files cached before every trial, calls ` +
      `repeated for ${minSeconds} s; cold reads: page cache dropped before every trial, each of up to ${COLD_FILES} files (${formatSize(coldBytes)}, but one per caller at least) read once; writes: ` +
      "a new file per call, 'w' over the caller's file (rewrite, flush: with flush: true), or appends to it, repeated for " +
      `${minSeconds} s; MB/s and latency p50/p99 per call in "more"; ` +
      (floor.ok
        ? 'reference: the C floor of probes/small-file.c, one call at a time (warm open+fstat+read+close; open+write+close of an ' +
          'existing file with O_TRUNC, a new file, with O_APPEND; flush: open(O_TRUNC)+write+fsync+close)'
        : `no C floor: ${floor.reason}`),
    floor: floor.ok ? floor.bySize : null,
    cases,
    targets: [
      checkTarget('readFile warm 0 B-64 KiB >= 3x node:fs io_uring', figures(cases, warmRead(0, 64 * KiB), vsUring), {
        atLeast: 3,
        why: noUring,
      }),
      checkTarget('readFile warm 1-16 MiB >= 1.5x node:fs io_uring', figures(cases, warmRead(MiB, 16 * MiB), vsUring), {
        atLeast: 1.5,
        why: noUring,
      }),
      checkTarget(
        'readFile cold >= node:fs io_uring',
        figures(cases, (c) => c.op === 'readFile' && c.mode === 'cold', vsUring),
        { atLeast: 1, why: noUring },
      ),
      checkTarget(
        "stream time to first 'data' no later than node:fs's (p50)",
        figures(
          cases,
          (c) => c.op === 'stream',
          (r) => Math.min(fig(r, 'fs', 'latencyP50Ms'), fig(r, 'fs-uring', 'latencyP50Ms')) / fig(r, 'aiofs', 'latencyP50Ms'),
        ),
        { atLeast: 1 },
      ),
      checkTarget('writeFile, appendFile >= 1.2x the faster node:fs', writeRows(cases), { atLeast: 1.2 }),
      loopTarget(cases),
    ],
  };
}
