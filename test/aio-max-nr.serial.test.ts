/**
 * With the system-wide AIO budget (fs.aio-max-nr) used up, a new environment falls back to node:fs,
 * says why, and passes the same differential suite as everywhere else.
 *
 * It changes a machine-wide setting, so it runs alone (vitest.serial.config.ts, after the main suite).
 * The budget is lowered before aiofs is first imported: the backend is chosen on first use.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

import { defineDifferentialSuite, type AiofsPromises } from './support/differential';
import { useFilesystems } from './support/filesystems';
import { runFixture } from './support/run-fixture';

const MAX_NR = '/proc/sys/fs/aio-max-nr';
const saved = readFileSync(MAX_NR, 'utf8').trim();
let lowered: string | undefined;
try {
  // No room for another context: io_setup now fails with EAGAIN.
  writeFileSync(MAX_NR, readFileSync('/proc/sys/fs/aio-nr', 'utf8').trim());
  lowered = readFileSync(MAX_NR, 'utf8').trim();
} catch (error) {
  lowered = undefined;
  console.log(`aio-max-nr: SKIPPED, cannot lower ${MAX_NR} (${(error as Error).message}); this needs root`);
}
const restore = () => {
  if (lowered !== undefined) writeFileSync(MAX_NR, saved);
};
process.once('exit', restore);
afterAll(restore);

const aiofs = (await import('../dist/promises.js')) as unknown as AiofsPromises;
const { backend } = await import('../dist/index.js');
const here = path.dirname(fileURLToPath(import.meta.url));

it.skipIf(lowered === undefined)('falls back to node:fs and says why (this thread and a fresh process)', () => {
  console.log(`[aio-max-nr=${String(lowered)}] backend: ${backend.name} (${backend.reason})`);
  expect(backend.name).toBe('node-fs');
  expect(backend.reason).toMatch(/EAGAIN.*aio-max-nr/);
  const run = runFixture('backend-report.mjs');
  expect(run.status, run.stderr).toBe(0);
  expect(run.report).toMatchObject({ name: 'node-fs', roundTrip: true, readOk: true, stats: null });
});

if (lowered !== undefined) {
  defineDifferentialSuite({
    title: 'node-fs (aio-max-nr used up)',
    aiofs,
    backend,
    filesystems: await useFilesystems('aio-max-nr'),
    enospc: [],
    distPromises: path.join(here, '..', 'dist', 'promises.js'),
    expectedBackend: () => ({ name: 'node-fs', reason: /aio-max-nr/ }),
    defaultCases: 1000,
    concurrencyRounds: 4,
  });
}
