// A small-file web server: files of 1-64 KiB (random sizes, seeded; 10,000 at full size) served by
// node:http through createReadStream(path).pipe(res) or res.end(await readFile(path)), fs's or aiofs's,
// one server process per trial under wrk with 64 connections asking for random files. Warm: every file
// read before the trial; cold: page cache dropped before it (as root), so the files are cached as they
// are first served. Requests/s, wrk's latency p50/p99, and the server's costs; a sample of responses is
// checked byte for byte (sha256) against the files, and wrk's errors fail the trial.
import { spawnSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dropCaches, warmFile } from '../../lib/cache.mjs';
import { runNodeTrial } from '../../lib/child.mjs';
import { sfc32 } from '../../lib/offsets.mjs';
import { nodeContenders } from '../contenders.mjs';
import { addMedians, runRounds, summarizeCase } from '../summary.mjs';
import { checkTarget, fig, figures, loopTarget } from '../targets.mjs';

const TRIAL = fileURLToPath(new URL('../trials/small-file-server-trial.mjs', import.meta.url));
const KiB = 2 ** 10;
const SEED = 0x5eed_f11e;
const SAMPLES = 64;

/** wrk on the PATH, installed from Debian's packages as root if missing: { ok } or { ok: false, reason }. */
function ensureWrk() {
  const have = () => !spawnSync('wrk', ['-v']).error;
  if (have()) return { ok: true };
  if (process.getuid?.() === 0) {
    spawnSync('sh', ['-c', 'apt-get update -qq && apt-get install -y -qq wrk'], {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (have()) return { ok: true };
  }
  return { ok: false, reason: 'wrk not found and not installable here (apt-get install wrk)' };
}

/** `count` files of 1-64 KiB of random bytes in DIR/small-files, named 0 .. count-1: the folder. */
function smallFiles(ctx, count) {
  const dir = join(ctx.dir, 'small-files');
  mkdirSync(dir, { recursive: true });
  const next = sfc32(SEED);
  const buf = Buffer.allocUnsafe(64 * KiB);
  for (let i = 0; i < count; i++) {
    const size = KiB + (next() % (63 * KiB + 1));
    writeFileSync(join(dir, String(i)), randomFillSync(buf, 0, size).subarray(0, size));
  }
  return dir;
}

export function smallFileServer(ctx) {
  const { files: count, connections, seconds, cases: plan } = ctx.plan.smallFileServer;
  const base = { title: 'Small-file web server', unit: 'requests/s', higher: true, reference: null };
  const wrk = ensureWrk();
  if (!wrk.ok) return { ...base, skipped: wrk.reason };
  const dir = smallFiles(ctx, count);
  const paths = Array.from({ length: count }, (_, i) => join(dir, String(i)));
  const sample = Array.from({ length: Math.min(SAMPLES, count) }, (_, k) => Math.floor((k * count) / Math.min(SAMPLES, count)));
  const expected = Object.fromEntries(sample.map((i) => [i, createHash('sha256').update(readFileSync(paths[i])).digest('hex')]));
  const contenders = nodeContenders(ctx);
  const cases = [];
  for (const [mode, cache] of plan) {
    const c = { id: `${mode}-${cache}`, label: `${mode === 'stream' ? 'createReadStream' : 'readFile'}, ${cache}`, mode, cache };
    if (cache === 'cold' && !ctx.cold.ok) {
      cases.push({ ...c, skipped: `cold: cannot drop the page cache (${ctx.cold.reason})` });
      continue;
    }
    ctx.detail(`  ${c.label}`);
    const trials = runRounds(contenders, ctx.plan.runs, (x) => {
      if (cache === 'cold' && !dropCaches().ok) throw new Error('dropping the page cache stopped working');
      if (cache === 'warm') paths.forEach(warmFile);
      const r = runNodeTrial(TRIAL, [x.impl, mode, dir, count, seconds, connections, sample.join(',')], x.env, {
        node: ctx.node,
      });
      const wrong = sample.find((i) => r.digests[i] !== expected[i]);
      if (wrong !== undefined)
        throw new Error(
          `${x.label} server sent WRONG BYTES for file ${wrong} (sha256 ${r.digests[wrong]}, the file's ${expected[wrong]})`,
        );
      delete r.digests; // checked
      return r;
    });
    cases.push({
      ...c,
      results: addMedians(
        summarizeCase(contenders, trials, (t) => t.requestsPerSec),
        trials,
        ['latencyP50Ms', 'latencyP99Ms'],
      ),
    });
  }
  const noUring = ctx.ioUring.distinctContender ? undefined : `no node:fs io_uring column: ${ctx.ioUring.summary}`;
  const p99 = (r, id) => fig(r, id, 'latencyP99Ms');
  return {
    ...base,
    note:
      `${count.toLocaleString('en-US')} files of 1-64 KiB, node:http with fs's or aiofs's createReadStream or readFile, ` +
      `wrk (1 thread, ${connections} connections, ${seconds} s) asking for random files; cold: page cache dropped before the trial; ` +
      'latency p50/p99 from wrk in "more"; costs are the server process\'s over the run; a sample of responses checked by sha256',
    cases,
    targets: [
      checkTarget(
        'requests/s >= 1.5x node:fs',
        figures(
          cases,
          () => true,
          (r) => fig(r, 'aiofs') / fig(r, 'fs'),
        ),
        { atLeast: 1.5 },
      ),
      checkTarget(
        'requests/s >= 1.2x node:fs io_uring',
        figures(
          cases,
          () => true,
          (r) => fig(r, 'aiofs') / fig(r, 'fs-uring'),
        ),
        { atLeast: 1.2, why: noUring },
      ),
      checkTarget(
        'latency p99 no worse than node:fs and node:fs io_uring',
        figures(
          cases,
          () => true,
          (r) => p99(r, 'aiofs') / Math.min(...['fs', 'fs-uring'].map((id) => p99(r, id)).filter(Number.isFinite)),
        ),
        { atMost: 1 },
      ),
      loopTarget(cases),
    ],
  };
}
