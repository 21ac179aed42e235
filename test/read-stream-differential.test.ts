/**
 * aiofs's createReadStream / ReadStream against node:fs's, on the default disk, on tmpfs and on ext4
 * with 4 KiB sectors: 2,000 random cases per filesystem (seeded: AIOFS_TEST_SEED, AIOFS_TEST_CASES,
 * AIOFS_TEST_CASE) plus fixed cases that cover every option, and EACCES as a non-root child. See
 * test/support/read-stream-differential.ts for what is compared.
 *
 * Needs a fresh dist/ (`npx tsc -p .`) and the native addon (`npm run build:native`).
 * AIOFS_STREAM_IMPL=node-fs runs the aiofs side on node:fs itself (checks the harness only).
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as index from '../dist/index.js';
import * as promises from '../dist/promises.js';
import { useFilesystems } from './support/filesystems';
import { defineReadStreamDifferential } from './support/read-stream-differential';

const here = path.dirname(fileURLToPath(import.meta.url));
const filesystems = await useFilesystems('rs-differential');

defineReadStreamDifferential({
  filesystems,
  index,
  promises,
  distIndex: path.join(here, '..', 'dist', 'index.js'),
  defaultCases: 2000,
});
