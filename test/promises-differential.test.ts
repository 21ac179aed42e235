/**
 * aiofs/promises against node:fs/promises, on the default disk, on tmpfs and on ext4 with 4 KiB
 * sectors: random cases (seeded; AIOFS_TEST_SEED, AIOFS_TEST_CASES, AIOFS_TEST_CASE), fixed error
 * scenarios, EACCES as a non-root child, concurrent block-sharing writes and ENOSPC. See
 * test/support/differential.ts for what is compared and test/support/filesystems.ts for the mounts.
 *
 * Needs a fresh dist/ (`npx tsc -p .`) and the native addon (`npm run build:native`).
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import { backend } from '../dist/index.js';
import * as aiofs from '../dist/promises.js';
import { defineDifferentialSuite } from './support/differential';
import { useFilesystems, useSmallExt4, useSmallTmpfs } from './support/filesystems';

const here = path.dirname(fileURLToPath(import.meta.url));
const filesystems = await useFilesystems('differential');
const enospc = [await useSmallTmpfs('differential', '1m'), await useSmallExt4('differential', 16)];

defineDifferentialSuite({
  title: 'aiofs',
  aiofs,
  backend,
  filesystems,
  enospc,
  distPromises: path.join(here, '..', 'dist', 'promises.js'),
  // tmpfs has no direct I/O (no STATX_DIOALIGN), so its files use node:fs whatever the process backend.
  expectedBackend: (f) => (f.name === 'tmpfs' ? { name: 'node-fs', reason: /\S/ } : { name: backend.name }),
  defaultCases: 1000,
  concurrencyRounds: 12,
});
