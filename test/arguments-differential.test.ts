/**
 * Issue 19: every argument of every function aiofs exports, every FileHandle method and every stream
 * option, against node:fs on the running Node (about 2,000 variants from test/support/argument-variants.ts,
 * run by test/support/argument-differential.ts: node:fs and aiofs each in their own child processes,
 * each call on a fresh copy of a 64-byte file). The expectation is always node:fs's own outcome on the
 * same Node, so the suite follows the Node version it runs on (scripts/node-matrix-tests.sh runs it on
 * 20, 22, 24 and 26).
 *
 * Also here: the runner against itself (node:fs on both sides: no difference, or the runner is not
 * deterministic), the runner against a deliberately broken stand-in (it must find the break), and the
 * crash of issue 19 (`createWriteStream(path, { flags: 'r+', start: 2**53 - 1 })`) in a child process.
 *
 * Needs a fresh dist/ (`npm run build`). AIOFS_ARGUMENTS_REPORT=<dir> writes every difference to
 * <dir>/arguments-node<major>.txt.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  buildChildProgram,
  compareSides,
  formatDifference,
  runSide,
  summarizeDifferences,
  type Comparison,
  type SideRun,
} from './support/argument-differential';
import { argumentVariants } from './support/argument-variants';
import { mountDisk } from './support/filesystems';

const root = fileURLToPath(new URL('..', import.meta.url));
const disk = await mountDisk('arguments');
afterAll(() => disk.cleanup());

const variants = argumentVariants();
const everyIndex = variants.map((_, i) => i);
console.log(`arguments differential: ${variants.length} variants on Node ${process.version}, files on ${disk.description}`);

let entry: string;
/** node:fs, aiofs, and node:fs again (the self-check): started together, each test awaits its pair. */
let sides: Promise<{ fs: SideRun; aiofs: SideRun; fsAgain: SideRun }>;

beforeAll(async () => {
  entry = await buildChildProgram(path.join(disk.dir, 'child'));
  const run = (impl: string, dir: string) => runSide({ impl, entry, root, dir: path.join(disk.dir, dir), indices: everyIndex });
  sides = Promise.all([run('node', 'fs'), run('aiofs', 'aiofs'), run('node', 'fs-again')]).then(([a, b, c]) => ({ fs: a, aiofs: b, fsAgain: c }));
  sides.catch(() => undefined); // each test awaits it and reports the failure there
});

const SUITE_TIMEOUT_MS = 300_000;

/** The failure message: the first difference in full, how many others, and all of them by target. */
function failureMessage(c: Comparison, expectedName: string, actualName: string): string {
  if (c.differences.length === 0) return 'no difference';
  return [
    `${c.differences.length} of ${c.compared} variants differ. The first:`,
    formatDifference(c.differences[0]!, expectedName, actualName),
    `and ${c.differences.length - 1} other difference(s); by target:`,
    summarizeDifferences(c.differences),
  ].join('\n');
}

function nodeAborts(run: SideRun): number {
  return [...run.outcomes.values()].filter((o) => o.how === 'process-abort').length;
}

describe('every argument variant, against node:fs on this Node', () => {
  it(
    'the runner is deterministic: node:fs against node:fs itself gives no difference',
    async () => {
      const { fs: expected, fsAgain } = await sides;
      const c = compareSides(variants, everyIndex, expected, fsAgain, true);
      console.log(`self-check: ${c.compared} variants in ${expected.seconds.toFixed(1)} s and ${fsAgain.seconds.toFixed(1)} s; node aborted the process on ${nodeAborts(expected)} of them`);
      expect(expected.outcomes.size).toBe(variants.length);
      expect(c.differences.length, failureMessage(c, 'node:fs', 'node:fs again')).toBe(0);
    },
    SUITE_TIMEOUT_MS,
  );

  it(
    'aiofs gives node:fs\'s outcome for every variant',
    async () => {
      const { fs: expected, aiofs } = await sides;
      const c = compareSides(variants, everyIndex, expected, aiofs);
      console.log(
        `aiofs (${aiofs.ready?.backend}): ${c.compared} variants in ${aiofs.seconds.toFixed(1)} s, ${c.differences.length} difference(s); ` +
          `where node aborted the process (${nodeAborts(expected)} variants) aiofs threw or rejected ${c.abortStandIns.length} time(s) as it should`,
      );
      if (c.differences.length > 0) console.log(`differences by target:\n${summarizeDifferences(c.differences)}`);
      const reportDir = process.env.AIOFS_ARGUMENTS_REPORT;
      if (reportDir) {
        fs.mkdirSync(reportDir, { recursive: true });
        const file = path.join(reportDir, `arguments-node${process.versions.node.split('.')[0]}.txt`);
        fs.writeFileSync(file, `${c.differences.map((d) => formatDifference(d)).join('\n\n')}\n`);
      }
      expect(aiofs.outcomes.size).toBe(variants.length);
      expect(c.differences.length, failureMessage(c, 'node:fs', 'aiofs')).toBe(0);
    },
    SUITE_TIMEOUT_MS,
  );

  it(
    'has teeth: a stand-in whose FileHandle.read ignores its position is caught',
    async () => {
      const { fs: expected } = await sides;
      // Reads at explicit positions must differ (the stand-in reads at the current position, 7);
      // reads at the current position must not (there the stand-in is right).
      const explicit = ['0', '1', '63'].map((p) => `FileHandle.read(buffer, offset, length, position): position = ${p}`);
      const current = ['null', 'undefined'].map((p) => `FileHandle.read(buffer, offset, length, position): position = ${p}`);
      const pick = (labels: string[]) => labels.map((label) => variants.findIndex((v) => v.label === label));
      const indices = [...pick(explicit), ...pick(current)];
      expect(indices).not.toContain(-1);
      const broken = await runSide({ impl: 'node-broken-read', entry, root, dir: path.join(disk.dir, 'broken'), indices });
      const c = compareSides(variants, indices, expected, broken);
      console.log(`has teeth: the broken stand-in differs on ${c.differences.length} of ${indices.length} read variants:\n${summarizeDifferences(c.differences)}`);
      expect(c.differences.map((d) => d.label).sort()).toEqual([...explicit].sort());
    },
    SUITE_TIMEOUT_MS,
  );
});

describe("issue 19's crash: createWriteStream(path, { flags: 'r+', start: 2**53 - 1 })", () => {
  /** Writes a chunk through `module`'s stream in a fresh Node (in the repository, where 'aiofs' is this package); returns the events it saw and how it exited. */
  function crashCase(module: string): { status: number | null; signal: string | null; stderr: string; events: unknown[]; file: string } {
    const file = path.join(disk.dir, 'crash-case');
    fs.writeFileSync(file, 'sixteen bytes...');
    const script = `
      const { createWriteStream } = require(process.argv[1]);
      const events = [];
      process.on('exit', () => console.log(JSON.stringify(events)));
      const stream = createWriteStream(process.argv[2], { flags: 'r+', start: 2 ** 53 - 1 });
      for (const name of ['open', 'ready', 'finish', 'close']) stream.on(name, () => events.push(name));
      stream.on('error', (error) => events.push({ error: error.code, message: error.message }));
      stream.write(Buffer.from('chunk'));
      stream.end();`;
    const child = spawnSync(process.execPath, ['-e', script, module, file], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    const last = child.stdout.trim().split('\n').pop() ?? '';
    let events: unknown[] = [];
    try {
      events = JSON.parse(last) as unknown[];
    } catch {
      events = [`unparsed stdout: ${child.stdout}`];
    }
    return { status: child.status, signal: child.signal, stderr: child.stderr, events, file: fs.readFileSync(file, 'latin1') };
  }

  it('node:fs reports EFBIG as an error event, then close, and the process exits normally; so does aiofs', () => {
    const node = crashCase('node:fs');
    // The scenario still is the one of the issue: node's outcome is an EFBIG 'error' then 'close'.
    expect(node.status, node.stderr).toBe(0);
    const errorAt = node.events.findIndex((e) => (e as { error?: string }).error === 'EFBIG');
    expect(errorAt, JSON.stringify(node.events)).toBeGreaterThanOrEqual(0);
    expect(node.events.slice(errorAt + 1)).toEqual(['close']);

    const aiofs = crashCase('aiofs');
    expect({ status: aiofs.status, signal: aiofs.signal }, aiofs.stderr).toEqual({ status: 0, signal: null });
    expect(aiofs.events).toEqual(node.events);
    expect(aiofs.file).toBe(node.file);
  });
});
