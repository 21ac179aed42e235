// What each scenario does at full size and with --quick. Every size derives from --size (default 1 GiB,
// --quick 64 MiB), so a smaller --size shrinks the whole suite and every scenario still runs.
import { parseSize } from '../lib/datafile.mjs';

const KiB = 2 ** 10, MiB = 2 ** 20;
const WHOLE_FILE_SIZES = [4 * KiB, 64 * KiB, MiB, 16 * MiB, 256 * MiB];
const CONCURRENT_STREAMS = [1, 4, 16, 64];
const RANDOM_DEPTHS = [1, 16, 64];

/** The plan for { quick, size (text), runs (text) }; throws on a size the scenarios cannot split. */
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
    randomRead: { size: quick ? size : 4 * size, depths: RANDOM_DEPTHS.map((depth) => ({ depth, count: quick ? 2000 : depth === 1 ? 20000 : 100000 })) },
    // capped at --size, so --quick's largest file is 64 MiB
    wholeFile: { sizes: [...new Set(WHOLE_FILE_SIZES.map((s) => Math.min(s, size)))], minSeconds: quick ? 0.15 : 1 },
    // the same total bytes at every stream count: N files of size/N
    concurrency: { total: size, streams: CONCURRENT_STREAMS },
    threadpool: { streams: 8, fileSize: size / 8, jobs: quick ? 100 : 500, iterations: 10000 },
    // the streamed file is larger than the memory limit left after the hot file, so that a stream
    // through the page cache must evict something
    pageCache: { hot, streamed: Math.max(size, quick ? 256 * MiB : 1024 * MiB), memoryLimit: hot + 192 * MiB },
  };
}
