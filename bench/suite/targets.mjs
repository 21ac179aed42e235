// Performance targets (the whole-file, small-read and server figures, and the threadpool scenario's), checked on a scenario's cases: each
// is one line, MET / NOT MET with the worst case's figure, printed by main.mjs and report.mjs from the
// results JSON.
import { fmtNum, fmtRatio } from '../lib/stats.mjs';

/** Contender `id`'s `key` (default: its value) in a case's results, NaN when missing. */
export const fig = (r, id, key = 'value') => r[id]?.[key] ?? NaN;

/** [{ label, value }] of the measured cases that `pick` chooses, `value` being `get(results)`. */
export const figures = (cases, pick, get) =>
  cases.filter((c) => c.results && pick(c)).map((c) => ({ label: c.label, value: get(c.results) }));

/** The faster of node:fs and node:fs with io_uring in a case's results (the higher value). */
export const fasterFs = (r) => Math.max(...['fs', 'fs-uring'].map((id) => fig(r, id)).filter(Number.isFinite));

/**
 * A target over `rows` (figures()): met when every finite value is >= atLeast (or <= atMost); `value`
 * is the worst one. `unit` 'x' for ratios, 'ms' for differences. Without any value: met null, `why`.
 * @param {string} name
 * @param {{ label: string, value: number | null, note?: string }[]} rows
 * @param {({ atLeast: number, atMost?: undefined } | { atLeast?: undefined, atMost: number }) & { unit?: string, why?: string }} bound
 */
export function checkTarget(name, rows, { atLeast, atMost, unit = 'x', why = 'nothing to compare' }) {
  const measured = rows.filter(/** @returns {r is { label: string, value: number }} */ (r) => Number.isFinite(r.value));
  if (measured.length === 0) return { name, value: null, met: null, why };
  const ok = (r) => (atLeast !== undefined ? r.value >= atLeast : r.value <= atMost);
  const worst = measured.reduce((w, r) => ((atLeast !== undefined ? r.value < w.value : r.value > w.value) ? r : w));
  return {
    name,
    unit,
    value: worst.value,
    met: measured.every(ok),
    worstCase: worst.label,
    rows: measured,
    missed: measured.filter((r) => !ok(r)),
  };
}

/** aiofs's event-loop delay p99 within 1 ms of node:fs's, in every case. */
export const loopTarget = (cases) =>
  checkTarget(
    'loop p99 within 1 ms of node:fs',
    figures(
      cases,
      () => true,
      (r) => fig(r, 'aiofs', 'loopP99Ms') - fig(r, 'fs', 'loopP99Ms'),
    ),
    { atMost: 1, unit: 'ms' },
  );

const fmtFigure = (t, v) =>
  t.unit === 'ms' ? `${v >= 0 ? '+' : ''}${fmtNum(v)} ms` : !t.unit || t.unit === 'x' ? fmtRatio(v) : `${fmtNum(v)} ${t.unit}`;

/** A target as text: { verdict, missed: the cases that missed it, when more than the worst one did }. */
export function formatTarget(t) {
  if (!Number.isFinite(t.value)) return { verdict: `${t.name}: n/a (${t.why ?? 'not measured'})`, missed: [] };
  const worst = t.rows?.length > 1 ? `, worst of ${t.rows.length} cases: ${t.worstCase}` : t.worstCase ? ` (${t.worstCase})` : '';
  return {
    verdict: `${t.name}: ${fmtFigure(t, t.value)} ${t.met ? 'MET' : 'NOT MET'}${worst}`,
    missed:
      t.missed?.length > 1
        ? t.missed.map((r) => `missed: ${r.label} ${fmtFigure(t, r.value)}${r.note ? ` (${r.note})` : ''}`)
        : [],
  };
}
