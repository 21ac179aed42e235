// How the suite runs a scenario's trials and sums them up: contenders interleaved round by round (the
// order rotated each round, so machine noise and drift hit every contender alike), and one summary
// per contender and case, the shape every scenario stores in the results JSON and the report reads.
import { max, median, min } from '../lib/stats.mjs';

/** Runs `runOne(contender)` `runs` times per contender, interleaved; returns id -> trials. */
export function runRounds(contenders, runs, runOne) {
  const trials = Object.fromEntries(contenders.map((c) => [c.id, []]));
  for (let run = 0; run < runs; run++) {
    const k = run % contenders.length;
    for (const c of [...contenders.slice(k), ...contenders.slice(0, k)]) trials[c.id].push(runOne(c));
  }
  return trials;
}

const medianOf = (trials, get) => {
  const m = median(trials.map(get));
  return Number.isFinite(m) ? m : null;
};

/**
 * One contender's figures in one case: the median of `value` over its trials (with min and max), and
 * the costs the suite reports everywhere: event-loop delay (median of per-trial p99, worst max; and the
 * event-wait p99 of bench/lib/loop-delay.mjs's probe), CPU
 * seconds per GiB, peak RSS. fio trials carry only value and CPU.
 */
export function summarize(trials, value) {
  const values = trials.map(value);
  return {
    value: median(values),
    min: min(values),
    max: max(values),
    runs: trials.length,
    loopP99Ms: medianOf(trials, (t) => t.eventLoopDelay?.p99Ms),
    loopMaxMs: trials.some((t) => t.eventLoopDelay) ? max(trials.map((t) => t.eventLoopDelay?.maxMs ?? NaN)) : null,
    eventWaitP99Ms: medianOf(trials, (t) => t.eventLoopDelay?.response?.p99Ms),
    cpuSecPerGiB: medianOf(trials, (t) => t.cpuSecPerGiB),
    peakRssMiB: medianOf(trials, (t) => t.peakRssMiB),
    ioUring: trials.some((t) => t.ioUringRings > 0),
  };
}

/** The results of one case: contender id -> summary, skipped contenders left out. */
export function summarizeCase(contenders, trials, value) {
  return Object.fromEntries(contenders.filter((c) => trials[c.id]?.length).map((c) => [c.id, summarize(trials[c.id], value)]));
}

/** Adds to each contender's summary in `results` the median over its trials of each of `keys` (e.g. latencyP99Ms). */
export function addMedians(results, trials, keys) {
  for (const [id, s] of Object.entries(results)) for (const k of keys) s[k] = medianOf(trials[id], (t) => t[k]);
  return results;
}
