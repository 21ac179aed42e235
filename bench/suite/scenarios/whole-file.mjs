// readFile and writeFile of whole files from 4 KiB to 256 MiB (capped at --size), through
// fs/promises and aiofs/promises. Warm page cache for reads (the file is read once before each
// trial and every call reads it whole); writes replace the file again and again ('w' truncates).
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { warmFile } from '../../lib/cache.mjs';
import { runNodeTrial } from '../../lib/child.mjs';
import { formatSize } from '../../lib/datafile.mjs';
import { median } from '../../lib/stats.mjs';
import { nodeContenders } from '../contenders.mjs';
import { dataFiles } from '../data.mjs';
import { runRounds, summarizeCase } from '../summary.mjs';

const TRIAL = fileURLToPath(new URL('../trials/whole-file-trial.mjs', import.meta.url));

export function wholeFile(ctx) {
  const { sizes, minSeconds } = ctx.plan.wholeFile;
  const contenders = nodeContenders(ctx.ioUring);
  const cases = [];
  for (const op of ['read', 'write']) {
    for (const size of sizes) {
      const file = op === 'read' ? dataFiles(ctx, `whole-${size}`, 1, size)[0] : join(ctx.dir, `writeFile-${size}.bin`);
      ctx.detail(`  ${op}File ${formatSize(size)}`);
      const trials = runRounds(contenders, ctx.plan.runs, (c) => {
        if (op === 'read') warmFile(file);
        else { rmSync(file, { force: true }); execFileSync('sync'); } // no writeback of an earlier trial left
        return runNodeTrial(TRIAL, [c.impl, op, file, size, minSeconds], c.env);
      });
      if (op === 'write') rmSync(file, { force: true });
      const results = summarizeCase(contenders, trials, (t) => t.mbPerSec);
      for (const [id, s] of Object.entries(results)) s.latencyP50Ms = median(trials[id].map((t) => t.latencyP50Ms));
      cases.push({ id: `${op}File-${formatSize(size)}`, label: `${op}File ${formatSize(size)}`, results });
    }
  }
  return {
    title: 'readFile / writeFile',
    unit: 'MB/s', higher: true, reference: null,
    note: `whole-file calls repeated for ${minSeconds} s per trial (latency p50 per call in the JSON); reads from a warm page cache; ` +
      'writes replace the file: node:fs\'s bytes may still be in the page cache when a call resolves, aiofs\'s went by O_DIRECT',
    cases,
  };
}
