// What each scenario does at full size and with --quick. Every size derives from --size (default 1 GiB,
// --quick 64 MiB), so a smaller --size shrinks the whole suite and every scenario still runs.
import { parseSize } from '../lib/datafile.mjs';

const KiB = 2 ** 10,
  MiB = 2 ** 20;
const WHOLE_FILE_SIZES = [0, 4 * KiB, 64 * KiB, MiB, 16 * MiB, 256 * MiB];
const QUICK_WHOLE_FILE_SIZES = [4 * KiB, MiB];
const CONCURRENT_STREAMS = [1, 4, 16, 64];
const RANDOM_DEPTHS = [1, 16, 64];

/**
 * The plan for { quick, size (text), runs (text) }; throws on a size the scenarios cannot split.
 * @param {{ quick?: boolean, size?: string, runs?: string }} [options]
 */
export function makePlan({ quick = false, size: sizeText, runs: runsText } = {}) {
  const size = parseSize(sizeText ?? (quick ? '64M' : '1G'));
  if (size < MiB || size % MiB !== 0) throw new Error('--size must be a non-zero multiple of 1M');
  const runs = Number(runsText ?? (quick ? 1 : 5));
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
  const hot = quick ? 32 * MiB : 64 * MiB;
  return {
    quick,
    size,
    runs,
    sequentialRead: { size, modes: ['cold', 'warm'], warmSeconds: quick ? 0.3 : 2 },
    sequentialWrite: { size, chunks: ['64K', '1M'], windowSeconds: quick ? 0.3 : 2 },
    // a file 4x --size (4 GiB, as `npm run bench`), so that cache hits from neighbouring reads stay
    // rare for node:fs; depth 1 does a fifth of the reads: at ~10k IOPS, 100,000 would take 10 s a trial
    randomRead: {
      size: quick ? size : 4 * size,
      depths: RANDOM_DEPTHS.map((depth) => ({ depth, count: quick ? 2000 : depth === 1 ? 20000 : 100000 })),
    },
    // capped at --size; 64 calls at once only where 64 files of the size fit in --size; a cold trial
    // reads each of up to 256 files (256 MiB or --size of them, but one per caller at least) once; the C
    // floor's files take up to floorBytes
    wholeFile: {
      sizes: [...new Set((quick ? QUICK_WHOLE_FILE_SIZES : WHOLE_FILE_SIZES).map((s) => Math.min(s, size)))],
      concurrency: [1, 64],
      minSeconds: quick ? 0.05 : 0.5,
      coldBytes: Math.min(size, 256 * MiB),
      floorBytes: quick ? 256 * KiB : 256 * MiB,
    },
    fhRead: { size: Math.min(256 * MiB, size), depths: [1, 16], count: quick ? 5000 : 100000 },
    // --quick: each way of serving and each cache state once
    smallFileServer: {
      files: quick ? 1000 : 10000,
      connections: 64,
      seconds: quick ? 1 : 5,
      cases: quick
        ? [
            ['stream', 'cold'],
            ['readFile', 'warm'],
          ]
        : ['stream', 'readFile'].flatMap((mode) => [
            [mode, 'warm'],
            [mode, 'cold'],
          ]),
    },
    // the same total bytes at every stream count: N files of size/N
    concurrency: { total: size, streams: CONCURRENT_STREAMS },
    threadpool: { streams: 8, fileSize: size / 8, jobs: quick ? 100 : 500, iterations: 10000 },
    // the streamed file is larger than the memory limit left after the hot file, so that a stream
    // through the page cache must evict something
    pageCache: { hot, streamed: Math.max(size, quick ? 256 * MiB : 1024 * MiB), memoryLimit: hot + 192 * MiB },
    // 400 curl clients at 1 MiB/s, 200 at 2 MiB/s, 50 at full speed (rate 0), each cold and
    // warm, for a 20 s window, from one 512 MiB file (capped at --size); --quick: one small slow case
    // and one small full-speed case. At most 2 runs: a trial holds the machine for about half a minute
    // (8 minutes a run with three contenders), and its 20 s already average over many downloads.
    fileServer: {
      fileSize: Math.min(512 * MiB, size),
      cases: quick
        ? [
            { clients: 20, rate: MiB, cache: 'cold' },
            { clients: 4, rate: 0, cache: 'warm' },
          ]
        : [
            [400, MiB],
            [200, 2 * MiB],
            [50, 0],
          ].flatMap(([clients, rate]) => ['cold', 'warm'].map((cache) => ({ clients, rate, cache }))),
      windowSeconds: quick ? 1 : 20,
      idleSeconds: quick ? 0.3 : 3,
      probesPerSecond: 10,
      loginMs: 5,
      runs: Math.min(runs, 2),
    },
  };
}
