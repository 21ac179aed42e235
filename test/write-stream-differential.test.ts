/**
 * aiofs's createWriteStream against node:fs's, with the same random plans of writes (seeded:
 * AIOFS_TEST_SEED, AIOFS_TEST_CASES, AIOFS_TEST_CASE): the same thrown errors, lifecycle events,
 * bytesWritten and file bytes. On the default disk (1,000 cases), ext4 with 4096-byte sectors, xfs,
 * btrfs and tmpfs (loop mounts and tmpfs need root: skipped with the reason printed otherwise). See
 * test/support/write-stream-differential.ts for what a case covers.
 */
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';

import * as index from '../dist/index.js';
import * as promises from '../dist/promises.js';
import { caseCount, caseIndexes, testSeed } from './support/differential';
import { describeFilesystems, useFilesystems, useMoreFilesystems } from './support/filesystems';
import {
  compareWriteSides,
  describeWriteCase,
  generateWriteCase,
  runWriteSide,
  type WriteApi,
} from './support/write-stream-differential';

/** Kernel AIO requests and blocking jobs this thread's AIO context has run so far. */
function aiofsRequests(): number {
  const stats = index.contextStats();
  return stats === null ? 0 : stats.submitted + stats.jobs;
}

const filesystems = [...(await useFilesystems('ws-differential')), ...(await useMoreFilesystems('ws-differential'))];
console.log(`[write-stream differential] seed ${testSeed()}\n${describeFilesystems(filesystems)}`);

const nodeApi: WriteApi = { createWriteStream: fs.createWriteStream as unknown as WriteApi['createWriteStream'] };
const aiofsApi: WriteApi = {
  createWriteStream: index.createWriteStream as unknown as WriteApi['createWriteStream'],
  openHandle: (file, flags) => promises.open(file, flags),
};

/** Cases per filesystem: the default disk carries the bulk. */
const CASES: Record<string, number> = { disk: 1000, 'ext4-4k': 150, xfs: 100, btrfs: 60, tmpfs: 100 };

for (const target of filesystems) {
  const skip = target.skipReason;
  describe(`${target.name}${skip ? ` [SKIPPED: ${skip}]` : ` (${target.description})`}`, () => {
    const count = caseCount(CASES[target.name] ?? 100);
    it.skipIf(skip !== undefined)(
      `${count} random write plans give the same events, bytesWritten and file as fs.createWriteStream`,
      async () => {
        const seed = testSeed();
        const failures: string[] = [];
        let compared = 0;
        const submittedBefore = aiofsRequests();
        for (const i of caseIndexes(count)) {
          const spec = generateWriteCase(seed, i);
          const fsSide = await runWriteSide(spec, nodeApi, 'fs', target.dir);
          const aiofsSide = await runWriteSide(spec, aiofsApi, 'aiofs', target.dir);
          const difference = compareWriteSides(fsSide, aiofsSide);
          if (difference !== null) {
            failures.push(`${describeWriteCase(spec)}\n    ${difference}`);
            console.log(`[write-stream differential] ${target.name}: ${failures.at(-1)}`);
          }
          compared++;
          for (const side of ['fs', 'aiofs']) fs.rmSync(`${target.dir}/${side}-${i}.bin`, { force: true });
          if (failures.length >= 5) break;
        }
        if (failures.length > 0)
          console.log(`[write-stream differential] ${target.name}, seed ${seed}:\n  ${failures.join('\n  ')}`);
        expect(failures).toEqual([]);
        expect(compared).toBe(caseIndexes(count).length);
        // The aiofs side really wrote through aiofs (its own threads' blocking jobs, AIO fsyncs) where the
        // filesystem has direct I/O (tmpfs has none; btrfs's runs synchronously inside io_submit, so
        // node:fs writes there).
        const submitted = aiofsRequests() - submittedBefore;
        console.log(
          `[write-stream differential] ${target.name}: ${compared} cases, ${submitted} aiofs requests (kernel AIO and jobs)`,
        );
        if (index.backend.name === 'kernel-aio' && caseIndexes(count).length >= 50) {
          if (target.name === 'tmpfs' || target.name === 'btrfs') expect(submitted).toBe(0);
          else expect(submitted).toBeGreaterThan(caseIndexes(count).length);
        }
      },
      900_000,
    );
  });
}
