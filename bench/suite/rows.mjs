// The suite's results as table rows, for the terminal (main.mjs) and for the README (report.mjs), from
// the results JSON alone.
import { fmtInt, fmtNum, fmtRatio } from '../lib/stats.mjs';
import { LABELS } from './contenders.mjs';

export const RESULT_COLUMNS = [
  'scenario',
  'case',
  'unit',
  'reference',
  LABELS.fs,
  LABELS['fs-uring'],
  LABELS.aiofs,
  'aiofs / node:fs',
  'aiofs / reference',
];
export const COST_COLUMNS = [
  'scenario',
  'case',
  'loop p99 ms (fs / aiofs)',
  'event wait p99 ms (fs / aiofs)',
  'loop max ms (fs / aiofs)',
  'CPU s/GiB (fs / aiofs)',
  'peak RSS MiB (fs / aiofs)',
  'more',
];

/** A figure with as many digits as it needs: 12,345 / 98.7 / 1.23. */
export const fmtValue = (x) =>
  !Number.isFinite(x) ? '-' : Math.abs(x) >= 100 ? fmtInt(x) : fmtNum(x, Math.abs(x) >= 10 ? 1 : 2);
const pair = (a, b, fmt = fmtValue) => `${a == null ? '-' : fmt(a)} / ${b == null ? '-' : fmt(b)}`;

/** Every case of every scenario, skipped ones included, with the figures the rows need. */
export function cases(result) {
  const out = [];
  for (const s of result.scenarios) {
    if (s.skipped || s.error) {
      out.push({ scenario: s, skipped: s.skipped ?? `failed: ${s.error}` });
      continue;
    }
    for (const c of s.cases) out.push({ scenario: s, case: c, skipped: c.skipped ?? null });
  }
  return out;
}

/** How many times better aiofs did than node:fs in a case (>1: aiofs better), or NaN. */
export function aiofsFactor(scenario, c) {
  const a = c.results?.aiofs?.value,
    f = c.results?.fs?.value;
  const higher = c.higher ?? scenario.higher;
  return higher ? a / f : f / a;
}

export function resultRows(result) {
  return cases(result).map(({ scenario: s, case: c, skipped }) => {
    if (skipped) return [s.title, c?.label ?? '', '', `skipped: ${skipped}`, '', '', '', '', ''];
    const r = c.results;
    const ref = s.reference && r[s.reference];
    return [
      s.title,
      c.label,
      c.unit ?? s.unit,
      ref ? `${fmtValue(ref.value)} (${s.reference})` : 'n/a',
      fmtValue(r.fs?.value),
      r['fs-uring'] ? fmtValue(r['fs-uring'].value) : 'n/a',
      fmtValue(r.aiofs?.value),
      fmtRatio(r.aiofs?.value / r.fs?.value),
      ref ? fmtRatio(r.aiofs?.value / ref.value) : 'n/a',
    ];
  });
}

function more(r) {
  if (r.aiofs?.slowestShare !== undefined) {
    return (
      `slowest stream's share ${pair(r.fs?.slowestShare, r.aiofs.slowestShare, (x) => fmtNum(x))}` +
      (r.fio ? ` (fio ${fmtNum(r.fio.slowestShare)})` : '')
    );
  }
  if (r.aiofs?.streamedMBps !== undefined) return `MB/s streamed meanwhile ${pair(r.fs?.streamedMBps, r.aiofs.streamedMBps)}`;
  if (r.aiofs?.latencyP50Ms !== undefined) {
    return [
      `latency p50 ms ${pair(r.fs?.latencyP50Ms, r.aiofs.latencyP50Ms)}`,
      ...(r.aiofs.latencyP99Ms !== undefined ? [`p99 ms ${pair(r.fs?.latencyP99Ms, r.aiofs.latencyP99Ms)}`] : []),
      ...(r.aiofs.steadyP99Ms !== undefined
        ? [`p99 once every client streams ms ${pair(r.fs?.steadyP99Ms, r.aiofs.steadyP99Ms)}`]
        : []),
      ...(r.aiofs.mbPerSec !== undefined ? [`MB/s ${pair(r.fs?.mbPerSec, r.aiofs.mbPerSec)}`] : []),
    ].join(', ');
  }
  return '';
}

export function costRows(result) {
  return cases(result)
    .filter((x) => !x.skipped)
    .map(({ scenario: s, case: c }) => {
      const { fs, aiofs } = c.results;
      return [
        s.title,
        c.label,
        pair(fs?.loopP99Ms, aiofs?.loopP99Ms),
        pair(fs?.eventWaitP99Ms, aiofs?.eventWaitP99Ms),
        pair(fs?.loopMaxMs, aiofs?.loopMaxMs),
        pair(fs?.cpuSecPerGiB, aiofs?.cpuSecPerGiB),
        pair(fs?.peakRssMiB, aiofs?.peakRssMiB),
        more(c.results),
      ];
    });
}
