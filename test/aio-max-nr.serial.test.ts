// With the system-wide AIO budget (fs.aio-max-nr) used up, new environments fall back to node:fs,
// say why, and still behave like fs. Changes a machine-wide setting, so it runs alone (serial config).
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runFixture } from './support/run-fixture.js';

const MAX_NR = '/proc/sys/fs/aio-max-nr';
const isRoot = process.getuid?.() === 0;
let canWrite = isRoot;
let saved = '';

beforeAll(() => {
  if (!isRoot) return;
  saved = readFileSync(MAX_NR, 'utf8').trim();
  try {
    // Leave no room for another context: io_setup now fails with EAGAIN.
    writeFileSync(MAX_NR, readFileSync('/proc/sys/fs/aio-nr', 'utf8').trim());
  } catch (error) {
    canWrite = false;
    console.log(`aio-max-nr: cannot lower ${MAX_NR} (${(error as Error).message})`);
  }
});
afterAll(() => {
  if (saved) writeFileSync(MAX_NR, saved);
});

if (!isRoot) console.log('aio-max-nr: skipped, lowering fs.aio-max-nr needs root');

describe.skipIf(!isRoot)('fs.aio-max-nr used up', () => {
  it('falls back to node:fs, says why, and still reads and writes like fs', () => {
    if (!canWrite) return expect.unreachable(`could not lower ${MAX_NR}`);
    const run = runFixture('backend-report.mjs');
    expect(run.status, run.stderr).toBe(0);
    expect(run.report.name).toBe('node-fs');
    expect(run.report.reason).toMatch(/EAGAIN.*aio-max-nr/);
    expect(run.report).toMatchObject({ roundTrip: true, readOk: true, stats: null });
  });
});
