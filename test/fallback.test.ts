/**
 * The differential suite of promises-differential.test.ts with the node-fs backend forced.
 *
 * The backend is chosen once per thread, when aiofs is first used, from AIOFS_BACKEND. Vitest runs
 * each test file in its own isolated worker, so setting the variable here, before the first (dynamic)
 * import of dist/, forces node-fs for this file only; the first test checks that it really did.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

import { defineDifferentialSuite, type AiofsPromises } from './support/differential';
import { useFilesystems, useSmallExt4, useSmallTmpfs } from './support/filesystems';

process.env.AIOFS_BACKEND = 'node-fs';
const aiofs = (await import('../dist/promises.js')) as unknown as AiofsPromises;
const { backend } = await import('../dist/index.js');

const here = path.dirname(fileURLToPath(import.meta.url));
const filesystems = await useFilesystems('fallback');
const enospc = [await useSmallTmpfs('fallback', '1m'), await useSmallExt4('fallback', 16)];

it('AIOFS_BACKEND=node-fs forces the node-fs backend for the whole thread', () => {
  console.log(`[node-fs forced] process backend: ${backend.name} (${backend.reason})`);
  expect(backend.name).toBe('node-fs');
  expect(backend.reason).toMatch(/AIOFS_BACKEND/);
});

defineDifferentialSuite({
  title: 'node-fs (forced)',
  aiofs,
  backend,
  filesystems,
  enospc,
  distPromises: path.join(here, '..', 'dist', 'promises.js'),
  expectedBackend: () => ({ name: 'node-fs', reason: /AIOFS_BACKEND/ }),
  defaultCases: 1000,
  concurrencyRounds: 6,
});
