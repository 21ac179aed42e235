#!/usr/bin/env node
// `npm run bench:report`: renders a suite results JSON (bench/suite/main.mjs) as markdown tables and an
// SVG chart, writes both next to the JSON, and puts them into README.md between
// <!-- bench:begin --> and <!-- bench:end -->, leaving the rest of the README as it is. Every figure
// comes from the JSON, so the README's figures are always ones the suite produced.
//
//   node bench/suite/report.mjs [RESULTS.json] [--readme README.md]
//
// Without a file: the newest full suite run in bench/results/ (every scenario, not --quick).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fmtRatio } from '../lib/stats.mjs';
import { SCENARIOS } from './main.mjs';
import { COST_COLUMNS, RESULT_COLUMNS, aiofsFactor, cases, costRows, fmtValue, resultRows } from './rows.mjs';
import { formatTarget } from './targets.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
export const BEGIN = '<!-- bench:begin -->';
export const END = '<!-- bench:end -->';

const mdCell = (s) => String(s).replace(/\|/g, '\\|');
const mdTable = (header, rows) =>
  [header, header.map(() => '---'), ...rows].map((r) => `| ${r.map(mdCell).join(' | ')} |`).join('\n');

/** The markdown tables (and the scenarios' targets) of a results object. */
export function renderMarkdown(result) {
  const lines = [mdTable(RESULT_COLUMNS, resultRows(result)), '', mdTable(COST_COLUMNS, costRows(result))];
  const targets = result.scenarios.flatMap((s) => (s.targets ?? []).map((t) => ({ title: s.title, ...formatTarget(t) })));
  if (targets.length > 0)
    lines.push('', 'Targets:', '', ...targets.flatMap((t) => [`- ${t.title}: ${t.verdict}`, ...t.missed.map((m) => `  - ${m}`)]));
  lines.push('', 'Notes per scenario:', '', ...result.scenarios.filter((s) => s.note).map((s) => `- ${s.title}: ${s.note}.`));
  return lines.join('\n');
}

const xml = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const TICKS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

/**
 * A horizontal bar chart, one bar per case: how many times better aiofs did than node:fs (higher
 * throughput, or lower latency and cache use), on a log scale around 1x.
 */
export function renderSvg(result) {
  const rows = cases(result).map(({ scenario, case: c, skipped }) => ({
    label: `${scenario.title}: ${c?.label ?? ''}`.replace(/: $/, ''),
    skipped,
    factor: skipped ? NaN : aiofsFactor(scenario, c),
    c,
  }));
  const finite = rows.map((r) => r.factor).filter((f) => Number.isFinite(f) && f > 0);
  const lo = Math.max(0.01, Math.min(0.5, ...finite) / 1.25);
  const hi = Math.min(1000, Math.max(2, ...finite) * 1.25);
  const LABEL_W = 360,
    PLOT_W = 420,
    ROW_H = 20,
    TOP = 48,
    W = LABEL_W + PLOT_W + 110;
  const H = TOP + rows.length * ROW_H + 30;
  const x = (v) => LABEL_W + ((Math.log(Math.min(hi, Math.max(lo, v))) - Math.log(lo)) / (Math.log(hi) - Math.log(lo))) * PLOT_W;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="8" y="18" font-size="14" font-weight="bold">${xml(`aiofs vs node:fs, times better (log scale; right of 1x: aiofs better)`)}</text>`,
    `<text x="8" y="34" fill="#555">${xml(`${result.machine}, ${result.date.slice(0, 10)}, ${result.env.node}, ${result.env.kernel}, ${result.env.filesystem}; medians of ${result.plan.runs} run(s)`)}</text>`,
  ];
  for (const t of TICKS.filter((v) => v >= lo && v <= hi)) {
    out.push(
      `<line x1="${x(t).toFixed(1)}" y1="${TOP - 4}" x2="${x(t).toFixed(1)}" y2="${H - 24}" stroke="${t === 1 ? '#000' : '#ddd'}"/>`,
      `<text x="${x(t).toFixed(1)}" y="${H - 10}" text-anchor="middle" fill="#555">${t}x</text>`,
    );
  }
  rows.forEach((r, i) => {
    const y = TOP + i * ROW_H;
    out.push(`<text x="${LABEL_W - 6}" y="${y + 14}" text-anchor="end">${xml(r.label)}</text>`);
    if (Number.isFinite(r.factor) && r.factor > 0) {
      const [a, b] = [x(1), x(r.factor)].sort((p, q) => p - q);
      out.push(
        `<rect x="${a.toFixed(1)}" y="${y + 4}" width="${Math.max(1, b - a).toFixed(1)}" height="${ROW_H - 8}" fill="${r.factor >= 1 ? '#2e7d32' : '#c62828'}"/>`,
        `<text x="${(Math.max(x(1), b) + 4).toFixed(1)}" y="${y + 14}">${xml(fmtRatio(r.factor))}</text>`,
      );
    } else {
      const why = r.skipped
        ? `skipped: ${r.skipped}`
        : `no ratio: aiofs ${fmtValue(r.c.results?.aiofs?.value)}, node:fs ${fmtValue(r.c.results?.fs?.value)}`;
      out.push(`<text x="${x(1) + 4}" y="${y + 14}" fill="#555">${xml(why.slice(0, 70))}</text>`);
    }
  });
  out.push('</svg>', '');
  return out.join('\n');
}

/** `readme` with the region between the markers replaced by `body`; throws when the markers are missing. */
export function replaceRegion(readme, body) {
  const b = readme.indexOf(BEGIN),
    e = readme.indexOf(END);
  if (b < 0 || e < b) throw new Error(`the README has no ${BEGIN} ... ${END} region`);
  return `${readme.slice(0, b + BEGIN.length)}\n${body}\n${readme.slice(e)}`;
}

/** The newest full suite run in `dir`, or null. */
export function newestFullRun(dir) {
  const runs = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => {
      try {
        const j = JSON.parse(readFileSync(join(dir, f), 'utf8'));
        const every = SCENARIOS.every((/** @type {{ id: string }} */ s) => j.scenarios?.some((r) => r.id === s.id));
        return j.suite === 'aiofs-bench' && !j.quick && every ? { file: join(dir, f), date: j.date } : null;
      } catch {
        return null;
      }
    })
    .filter((r) => r !== null);
  runs.sort((a, b) => a.date.localeCompare(b.date));
  return runs.at(-1)?.file ?? null;
}

/** Writes FILE.md and FILE.svg next to the JSON and the region of the README; returns their paths. */
export function report(jsonPath, readmePath) {
  const result = JSON.parse(readFileSync(jsonPath, 'utf8'));
  if (result.suite !== 'aiofs-bench') throw new Error(`${jsonPath} is not a suite results file`);
  const stem = jsonPath.replace(/\.json$/, '');
  const markdown = renderMarkdown(result);
  writeFileSync(`${stem}.md`, `${markdown}\n`);
  writeFileSync(`${stem}.svg`, renderSvg(result));
  const rel = (p) => relative(dirname(readmePath), p).split('\\').join('/');
  const body = [
    `Suite run on \`${result.machine}\` (${result.env.cpu}, ${result.env.memoryGiB} GiB RAM, ${result.env.filesystem}, node ${result.env.node}, ` +
      `${result.env.kernel}), ${result.date.slice(0, 10)}${result.quick ? ', --quick' : ''}: \`${rel(jsonPath)}\`, ` +
      `${Math.round(result.seconds / 60)} min, rendered by \`npm run bench:report\`. ${result.cache}; ${result.ioUring.summary}.`,
    '',
    `![aiofs vs node:fs in every scenario](${rel(`${stem}.svg`)})`,
    '',
    markdown,
  ].join('\n');
  writeFileSync(readmePath, replaceRegion(readFileSync(readmePath, 'utf8'), body));
  return { markdown: `${stem}.md`, svg: `${stem}.svg`, readme: readmePath };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values: opt, positionals } = parseArgs({ allowPositionals: true, options: { readme: { type: 'string' } } });
  const json = positionals[0] ? resolve(positionals[0]) : newestFullRun(here('../results'));
  if (!json || !existsSync(json)) {
    console.error(
      json ? `${json} not found` : 'no full suite run in bench/results/ yet: run `npm run bench:suite` (or name a results file)',
    );
    process.exit(1);
  }
  try {
    const out = report(json, resolve(opt.readme ?? here('../../README.md')));
    console.log(`${basename(json)} -> ${out.markdown}, ${out.svg}, and ${out.readme} (between ${BEGIN} and ${END})`);
  } catch (err) {
    console.error(`bench:report: ${/** @type {Error} */ (err).message}`);
    process.exit(1);
  }
}
