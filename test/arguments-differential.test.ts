/**
 * Every argument of every function aiofs exports (fs/promises' and node:fs's callback
 * readFile, writeFile and appendFile), every FileHandle method and every stream option, against node:fs
 * on the running Node (about 3,200 variants from test/support/argument-variants.ts,
 * run by test/support/argument-differential.ts: node:fs and aiofs each in their own child processes,
 * each call on a fresh copy of a 64-byte file). The expectation is always node:fs's own outcome on the
 * same Node, so the suite follows the Node version it runs on (scripts/node-matrix-tests.sh runs it on
 * 20, 22, 24 and 26).
 *
 * The callback functions run twice on the aiofs side: as aiofs exports them, and as aiofs/register puts
 * them into node:fs (children of their own, that loaded aiofs/register, running only the callback
 * variants, against node:fs children running the same list: a variant may find files an earlier one
 * left in the children's working directory, e.g. after `writeFile('1', ...)`).
 *
 * Also here: the runner against itself (node:fs on both sides: no difference, or the runner is not
 * deterministic), the runner against deliberately broken stand-ins (it must find the breaks), and a
 * write stream at the last safe integer offset (`createWriteStream(path, { flags: 'r+', start: 2**53 - 1 })`),
 * which once crashed the process, in a child process.
 *
 * Needs a fresh dist/ (`npm run build`). AIOFS_ARGUMENTS_REPORT=<dir> writes every difference to
 * <dir>/arguments-node<major>.txt (aiofs) and <dir>/arguments-register-node<major>.txt (aiofs/register).
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
import { argumentVariants, isCallbackTarget } from './support/argument-variants';
import { mountDisk } from './support/filesystems';

const root = fileURLToPath(new URL('..', import.meta.url));
const disk = await mountDisk('arguments');
afterAll(() => disk.cleanup());

const variants = argumentVariants();
const everyIndex = variants.map((_, i) => i);
/** The variants of node:fs's callback readFile, writeFile and appendFile. */
const callbackIndices = everyIndex.filter((i) => isCallbackTarget(variants[i]!.target));
console.log(
  `arguments differential: ${variants.length} variants (${callbackIndices.length} of node:fs's callback functions) on Node ${process.version}, files on ${disk.description}`,
);

let entry: string;
/**
 * node:fs, aiofs, node:fs again (the self-check), and node:fs and aiofs through aiofs/register on the
 * callback variants only: started together, each test awaits its pair.
 */
let sides: Promise<{ fs: SideRun; aiofs: SideRun; fsAgain: SideRun; fsCallbacks: SideRun; register: SideRun }>;

beforeAll(async () => {
  entry = await buildChildProgram(path.join(disk.dir, 'child'));
  const run = (impl: string, dir: string, indices = everyIndex) =>
    runSide({ impl, entry, root, dir: path.join(disk.dir, dir), indices });
  sides = Promise.all([
    run('node', 'fs'),
    run('aiofs', 'aiofs'),
    run('node', 'fs-again'),
    run('node', 'fs-callbacks', callbackIndices),
    run('aiofs-register', 'aiofs-register', callbackIndices),
  ]).then(([a, b, c, d, e]) => ({ fs: a, aiofs: b, fsAgain: c, fsCallbacks: d, register: e }));
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

/** With AIOFS_ARGUMENTS_REPORT=<dir>: every difference, in <dir>/<name>-node<major>.txt. */
function writeReport(name: string, c: Comparison, actualName = 'aiofs'): void {
  const reportDir = process.env.AIOFS_ARGUMENTS_REPORT;
  if (!reportDir) return;
  fs.mkdirSync(reportDir, { recursive: true });
  const file = path.join(reportDir, `${name}-node${process.versions.node.split('.')[0]}.txt`);
  fs.writeFileSync(file, `${c.differences.map((d) => formatDifference(d, 'node:fs', actualName)).join('\n\n')}\n`);
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
      console.log(
        `self-check: ${c.compared} variants in ${expected.seconds.toFixed(1)} s and ${fsAgain.seconds.toFixed(1)} s; node aborted the process on ${nodeAborts(expected)} of them`,
      );
      expect(expected.outcomes.size).toBe(variants.length);
      expect(c.differences.length, failureMessage(c, 'node:fs', 'node:fs again')).toBe(0);
    },
    SUITE_TIMEOUT_MS,
  );

  it(
    "aiofs gives node:fs's outcome for every variant",
    async () => {
      const { fs: expected, aiofs } = await sides;
      const c = compareSides(variants, everyIndex, expected, aiofs);
      console.log(
        `aiofs (${aiofs.ready?.backend}): ${c.compared} variants in ${aiofs.seconds.toFixed(1)} s, ${c.differences.length} difference(s); ` +
          `where node aborted the process (${nodeAborts(expected)} variants) aiofs threw or rejected ${c.abortStandIns.length} time(s) as it should`,
      );
      if (c.differences.length > 0) console.log(`differences by target:\n${summarizeDifferences(c.differences)}`);
      writeReport('arguments', c);
      expect(aiofs.outcomes.size).toBe(variants.length);
      expect(c.differences.length, failureMessage(c, 'node:fs', 'aiofs')).toBe(0);
    },
    SUITE_TIMEOUT_MS,
  );

  it(
    "aiofs/register's node:fs.readFile, writeFile and appendFile give node:fs's outcome for every callback variant",
    async () => {
      const { fsCallbacks: expected, register } = await sides;
      const c = compareSides(variants, callbackIndices, expected, register);
      console.log(
        `aiofs through aiofs/register: ${c.compared} callback variants in ${register.seconds.toFixed(1)} s, ${c.differences.length} difference(s)`,
      );
      if (c.differences.length > 0) console.log(`differences by target:\n${summarizeDifferences(c.differences)}`);
      writeReport('arguments-register', c, 'aiofs/register');
      expect(register.outcomes.size).toBe(callbackIndices.length);
      expect(c.differences.length, failureMessage(c, 'node:fs', 'aiofs/register')).toBe(0);
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
      console.log(
        `has teeth: the broken stand-in differs on ${c.differences.length} of ${indices.length} read variants:\n${summarizeDifferences(c.differences)}`,
      );
      expect(c.differences.map((d) => d.label).sort()).toEqual([...explicit].sort());
    },
    SUITE_TIMEOUT_MS,
  );

  it(
    'has teeth: a stand-in whose readFile calls back before returning, and whose writeFile calls back twice, is caught',
    async () => {
      const { fs: expected } = await sides;
      // The stand-in's readFile(path, options, callback) calls back at once, its writeFile twice;
      // its readFile(path, callback) and its appendFile are node's own.
      const early = [
        "fs.readFile(path, options, callback): options = 'utf8'",
        'fs.readFile(path, options, callback): options = null',
      ];
      const twice = [
        "fs.writeFile(path, data, options, callback): options = 'utf8'",
        'fs.writeFile(path, data, options, callback): writeFile(path, data, callback)',
      ];
      const right = [
        'fs.readFile(path, options, callback): readFile(path, callback)',
        "fs.appendFile(path, data, options, callback): options = 'utf8'",
      ];
      const pick = (labels: string[]) => labels.map((label) => variants.findIndex((v) => v.label === label));
      const indices = [...pick(early), ...pick(twice), ...pick(right)];
      expect(indices).not.toContain(-1);
      const broken = await runSide({
        impl: 'node-broken-callbacks',
        entry,
        root,
        dir: path.join(disk.dir, 'broken-callbacks'),
        indices,
      });
      const c = compareSides(variants, indices, expected, broken);
      console.log(
        `has teeth: the broken stand-in differs on ${c.differences.length} of ${indices.length} callback variants:\n${summarizeDifferences(c.differences)}`,
      );
      expect(c.differences.map((d) => d.label).sort()).toEqual([...early, ...twice].sort());
      for (const d of c.differences)
        expect(d.where).toMatch(
          early.includes(d.label)
            ? /^the outcomes first differ at \$\.callbacks\[0\]\.sync: false vs true$/
            : /^the outcomes first differ at \$\.callbacks\[1\]: undefined vs /,
        );
    },
    SUITE_TIMEOUT_MS,
  );
});

describe("a write stream opened 'r+' at start 2**53 - 1 (createWriteStream(path, { flags: 'r+', start: 2**53 - 1 })): an EFBIG error event, not a crash", () => {
  /** Writes a chunk through `module`'s stream in a fresh Node (in the repository, where 'aiofs' is this package); returns the events it saw and how it exited. */
  function crashCase(module: string): {
    status: number | null;
    signal: string | null;
    stderr: string;
    events: unknown[];
    file: string;
  } {
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
    // The scenario still is the one that crashed aiofs: node's outcome is an EFBIG 'error' then 'close'.
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
