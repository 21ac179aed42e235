// What the stream benchmarks (sequential-read, sequential-write) share: their aiofs option sets, the
// check that the stream is built, ratios paired per round, and (in trials) loading the implementation.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { importAiofs } from './aiofs-build.mjs';
import { fail } from './fail.mjs';
import { median } from './stats.mjs';

const isPlainObject = (x) => x !== null && typeof x === 'object' && !Array.isArray(x);

function parseJson(name, text) {
  try {
    return JSON.parse(text);
  } catch (err) {
    fail(`--${name} is not valid JSON (${/** @type {Error} */ (err).message}): ${text}`);
  }
}

/**
 * The aiofs option sets from --aiofs-options (the first, null for none) and --variants (more, a JSON
 * array), each a plain object, duplicates dropped ({} and "no options" are the same defaults).
 * `check(options)` may refuse a set by returning why.
 * @param {{ 'aiofs-options'?: string, variants?: string }} opt
 * @param {(options: object) => string | null} [check]
 */
export function aiofsOptionSets(opt, check = () => null) {
  const sets = [opt['aiofs-options'] === undefined ? null : parseJson('aiofs-options', opt['aiofs-options'])];
  if (opt.variants !== undefined) {
    const v = parseJson('variants', opt.variants);
    if (!Array.isArray(v)) fail('--variants must be a JSON array of option objects');
    sets.push(...v);
  }
  for (const o of sets) {
    if (o !== null && !isPlainObject(o)) fail(`aiofs options must be JSON objects, got ${JSON.stringify(o)}`);
    const why = o === null ? null : check(o);
    if (why) fail(`aiofs options: ${why}: ${JSON.stringify(o)}`);
  }
  const seen = new Set();
  return sets.filter((o) => {
    const key = JSON.stringify(o ?? {});
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

/**
 * Why aiofs's `exportName` (e.g. createReadStream) cannot be benchmarked yet, or null. Asked in a
 * child, so the parent never loads the addon or sets up an AIO context.
 */
export function aiofsProblem(distFile, indexFile, exportName) {
  if (!existsSync(distFile)) return `${distFile} not found (${exportName} not built yet: \`npm run build\`)`;
  const r = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(indexFile)}); process.exit(typeof m.${exportName} === 'function' ? 0 : 3);`,
    ],
    { encoding: 'utf8' },
  );
  if (r.status === 3) return `dist/index.mjs does not export ${exportName} yet`;
  if (r.status !== 0) return `importing dist/index.mjs failed: ${(r.stderr || '').trim().split('\n').slice(-3).join(' / ')}`;
  return null;
}

/**
 * Median over rounds of (trial / baseline trial) within the same round: the device's speed drifts
 * during a run, and the trials of one round ran back to back. NaN when either side is missing.
 */
export function pairedRatio(trials, baseTrials, get) {
  if (!get || !trials || !baseTrials) return NaN;
  return median(trials.map((t, i) => (baseTrials[i] ? get(t) / get(baseTrials[i]) : NaN)));
}

/**
 * For a trial: `fs`'s or aiofs's (dist/index.mjs) `exportName`, and aiofs's module (null for fs).
 * Exits the trial when aiofs does not export it.
 */
export async function loadStreamFactory(impl, exportName) {
  if (impl === 'fs') return { create: (await import('node:fs'))[exportName], aiofs: null };
  const aiofs = await importAiofs('index.mjs');
  if (typeof aiofs[exportName] !== 'function') {
    console.error(`aiofs: dist/index.mjs does not export ${exportName}`);
    process.exit(1);
  }
  return { create: aiofs[exportName], aiofs };
}
