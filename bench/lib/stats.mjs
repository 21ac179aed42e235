// Small statistics and number formatting helpers shared by the benchmarks.

export const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
// Nearest-rank percentile (p in 0..100) of the finite values; NaN when there are none.
export const percentile = (xs, p) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
export const min = (xs) => Math.min(...xs);
export const max = (xs) => Math.max(...xs);

export const fmtInt = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '-');
export const fmtNum = (x, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : '-');
export const fmtRatio = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}x` : '-');

// Plain-text table: first column left-aligned, the rest right-aligned.
export function table(header, rows) {
  const all = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const line = (r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [line(all[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)].join('\n');
}
