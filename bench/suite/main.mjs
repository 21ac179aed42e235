#!/usr/bin/env node
// The benchmark suite behind `aiofs bench`: every scenario side by side with node:fs (and node:fs with
// UV_USE_IO_URING=1 where that changes what it does), fio as the device limit where one applies, each
// trial in a fresh process, medians of several runs. Writes the results JSON that `npm run bench:report`
// turns into the README's table and chart.
//
//   node bench/suite/main.mjs [--quick] [--size S] [--runs N] [--only a,b] [--dir DIR] [--json FILE]
//                             [--node PATH] [--aiofs DIR]
//
// A benchmark, not a test: slow numbers never fail it. It exits 1 on real errors (wrong data, a
// crashed trial), 2 on bad arguments.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { aiofsDist, describeBuild } from '../lib/aiofs-build.mjs';
import { dropCaches } from '../lib/cache.mjs';
import { formatSize } from '../lib/datafile.mjs';
import { describeEnv } from '../lib/env.mjs';
import { fioVersion } from '../lib/fio.mjs';
import { probeIoUring } from '../lib/io-uring.mjs';
import { table } from '../lib/stats.mjs';
import { makePlan } from './plan.mjs';
import { COST_COLUMNS, RESULT_COLUMNS, costRows, resultRows } from './rows.mjs';
import { concurrency } from './scenarios/concurrency.mjs';
import { fhRead } from './scenarios/fh-read.mjs';
import { fileServer } from './scenarios/file-server.mjs';
import { pageCache } from './scenarios/page-cache.mjs';
import { randomRead } from './scenarios/random-read.mjs';
import { sequentialRead } from './scenarios/sequential-read.mjs';
import { sequentialWrite } from './scenarios/sequential-write.mjs';
import { smallFileServer } from './scenarios/small-file-server.mjs';
import { threadpool } from './scenarios/threadpool.mjs';
import { wholeFile } from './scenarios/whole-file.mjs';
import { formatTarget } from './targets.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const RESULTS_DIR = here('../results');

/** The scenarios, in the order they run and are reported. */
export const SCENARIOS = [
  { id: 'sequential-read', run: sequentialRead },
  { id: 'sequential-write', run: sequentialWrite },
  { id: 'random-read', run: randomRead },
  { id: 'whole-file', run: wholeFile },
  { id: 'fh-read', run: fhRead },
  { id: 'small-file-server', run: smallFileServer },
  { id: 'concurrency', run: concurrency },
  { id: 'threadpool', run: threadpool },
  { id: 'page-cache', run: pageCache },
  { id: 'file-server', run: fileServer },
];

const HELP = `usage: aiofs bench [options]     (or: node bench/suite/main.mjs [options])
  --quick         small sizes, one run per contender: every scenario in about a minute
  --size S        the suite's base size (default 1G, --quick 64M; units K M G, a multiple of 1M):
                  what a stream reads or writes; the other scenarios derive their sizes from it
  --runs N        trials per contender and case, interleaved; medians over them (default 5, --quick 1)
  --only LIST     scenarios to run (default all): ${SCENARIOS.map((s) => s.id).join(',')}
  --dir DIR       where the data files go (default: the current directory), in a temporary
                  folder removed at the end; a full run needs about 14x --size free (the
                  random-read file and the concurrency files are 4x each), --quick about 1 GiB
  --json FILE     write the results there (default for a full run: bench/results/<date>-<machine>.json;
                  --quick and --only write none unless asked)
  --machine NAME  the <machine> in the default file name (default: the host name)
  --node PATH     the Node binary of every trial and server (default: this one)
  --aiofs DIR     the aiofs checkout to benchmark, built (dist/, build/) (default: this one), e.g. an
                  older worktree to compare with
  --verbose       show every trial of every scenario
  -h, --help      this text
Cold-cache parts need root (to drop the page cache); without it they say so and run warm only.
fio (apt-get install fio) adds the device-limit column where one applies; cc the C floor of whole files;
wrk (apt-get install wrk, tried as root) runs the small-file server's load.`;

/** Runs the suite with `argv` (the arguments after `aiofs bench`); resolves with the exit code. */
export async function main(argv) {
  let opt;
  try {
    ({ values: opt } = parseArgs({
      args: argv,
      options: {
        quick: { type: 'boolean', default: false },
        size: { type: 'string' },
        runs: { type: 'string' },
        only: { type: 'string' },
        dir: { type: 'string' },
        json: { type: 'string' },
        machine: { type: 'string' },
        node: { type: 'string', default: process.execPath },
        aiofs: { type: 'string', default: here('../..') },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    console.error(`aiofs bench: ${/** @type {Error} */ (err).message}\n\n${HELP}`);
    return 2;
  }
  if (opt.help) {
    console.log(HELP);
    return 0;
  }
  let plan;
  try {
    plan = makePlan(opt);
  } catch (err) {
    console.error(`aiofs bench: ${/** @type {Error} */ (err).message}`);
    return 2;
  }
  const only = opt.only
    ? opt.only
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : SCENARIOS.map((s) => s.id);
  const unknown = only.filter((id) => !SCENARIOS.some((s) => s.id === id));
  if (unknown.length > 0) {
    console.error(
      `aiofs bench: --only: unknown scenario ${unknown.join(', ')} (known: ${SCENARIOS.map((s) => s.id).join(', ')})`,
    );
    return 2;
  }
  opt.node = resolve(opt.node);
  opt.aiofs = resolve(opt.aiofs);
  if (spawnSync(opt.node, ['--version']).status !== 0) {
    console.error(`aiofs bench: --node ${opt.node} does not run`);
    return 2;
  }
  if (!existsSync(aiofsDist('index.mjs', opt.aiofs))) {
    console.error(`aiofs bench: ${aiofsDist('index.mjs', opt.aiofs)} not found: build aiofs first (npm run build)`);
    return 1;
  }

  const parent = resolve(opt.dir ?? '.');
  if (!existsSync(parent)) {
    console.error(`aiofs bench: --dir ${parent} does not exist`);
    return 2;
  }
  const dir = mkdtempSync(join(parent, '.aiofs-bench-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  const onSignal = (signal) => {
    cleanup();
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await runSuite(plan, only, dir, opt);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    cleanup();
  }
}

async function runSuite(plan, only, dir, opt) {
  const t0 = Date.now();
  const say = (line) => console.log(line);
  const cold = dropCaches();
  const ioUring = probeIoUring(opt.node, dir);
  let fio = null;
  try {
    fio = fioVersion();
  } catch (err) {
    say(`note: ${/** @type {Error} */ (err).message}: no device-limit column`);
  }
  const env = { ...describeEnv(dir), node: ioUring.node, nodePath: opt.node };
  const aiofs = describeBuild(opt.aiofs);
  const ctx = {
    plan,
    dir,
    cold,
    ioUring,
    fio,
    node: opt.node,
    aiofs,
    verbose: opt.verbose,
    log: say,
    detail: opt.verbose ? say : () => {},
  };

  say(
    `aiofs benchmark suite${plan.quick ? ' (--quick)' : ''}: base size ${formatSize(plan.size)}, ${plan.runs} run(s) per contender, ` +
      'each trial in a fresh process',
  );
  say(`  env     node ${env.node}, ${env.kernel}, ${env.cpu}, ${env.memoryGiB} GiB RAM, ${env.filesystem}`);
  say(`  node    ${opt.node}`);
  say(`  aiofs   ${aiofs.dir}${aiofs.commit ? ` (${aiofs.commit})` : ''}`);
  say(`  data    ${dir} (removed at the end)`);
  say(`  fio     ${fio ?? 'not installed'}`);
  say(`  uring   ${ioUring.summary}${ioUring.distinctContender ? ': run as its own contender' : ''}`);
  if (!cold.ok) say(`  COLD-CACHE PARTS RUN WARM: cannot drop the page cache (${cold.reason}); run as root for them`);

  const scenarios = [];
  for (const s of SCENARIOS.filter((x) => only.includes(x.id))) {
    say(`\n== ${s.id}`);
    const started = Date.now();
    /** @type {{ title: string, skipped?: string, error?: string, targets?: object[] } & Record<string, unknown>} */
    let result;
    try {
      result = s.run(ctx);
    } catch (err) {
      result = { title: s.id, error: /** @type {Error} */ (err).message };
      console.error(`error in ${s.id}: ${/** @type {Error} */ (err).message}`);
    }
    const seconds = (Date.now() - started) / 1000;
    scenarios.push({ id: s.id, seconds, ...result });
    say(result.skipped ? `   skipped: ${result.skipped}` : `   done in ${seconds.toFixed(1)} s`);
    await new Promise(setImmediate); // let a pending SIGINT handler run between scenarios
  }

  const out = {
    suite: 'aiofs-bench',
    version: 1,
    date: new Date().toISOString(),
    machine: opt.machine ?? hostname(),
    quick: plan.quick,
    plan,
    env: { ...env, fio },
    cache: cold.ok ? 'cold parts: page cache dropped before every trial' : `no cold parts: ${cold.reason}`,
    ioUring,
    aiofs,
    seconds: (Date.now() - t0) / 1000,
    scenarios,
  };
  say(`\nResults (medians; ${out.cache}):\n`);
  say(table(RESULT_COLUMNS, resultRows(out)));
  say(`\nCosts:\n`);
  say(table(COST_COLUMNS, costRows(out)));
  const withTargets = scenarios.filter((s) => s.targets?.length);
  if (withTargets.length > 0) say('\nTargets:');
  for (const s of withTargets) {
    for (const { verdict, missed } of (s.targets ?? []).map(formatTarget))
      say([`  ${s.title}: ${verdict}`, ...missed.map((m) => `      ${m}`)].join('\n'));
  }
  say(`\nSuite took ${out.seconds.toFixed(0)} s.`);

  // Only a full run (every scenario, full sizes) has a default file: bench:report takes the newest.
  const jsonPath = opt.json
    ? resolve(opt.json)
    : plan.quick || opt.only
      ? null
      : join(RESULTS_DIR, `${out.date.slice(0, 10)}-${out.machine.replace(/[^\w.-]+/g, '_')}.json`);
  if (jsonPath) {
    mkdirSync(dirname(jsonPath), { recursive: true });
    writeFileSync(jsonPath, `${JSON.stringify(out, null, 2)}\n`);
    say(`Wrote ${jsonPath}${plan.quick ? '' : ' (npm run bench:report puts it into README.md)'}`);
  }
  return scenarios.some((s) => s.error) ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
