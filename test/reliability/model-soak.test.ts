/**
 * Model-based soak (test/reliability/file-model.ts): on the default disk, ext4 with 4 KiB
 * sectors and tmpfs (node-fs files), zero mismatches allowed.
 *
 * `npm test`: one fixed seed per filesystem, 1,500 steps. `npm run test:soak` sets AIOFS_SOAK_SECONDS
 * (600): random seeds, 2,000 steps each, until that much time has passed on each filesystem. A failing
 * seed is printed; replay it with AIOFS_SOAK_SEED=<seed> (and AIOFS_SOAK_STEPS) on this file.
 */
import { describe, expect, it } from 'vitest';

import { describeFilesystems, useFilesystems } from '../support/filesystems';
import { soak, type SoakOutcome } from './file-model';

const filesystems = await useFilesystems('rel-soak');
const soakSeconds = Number(process.env.AIOFS_SOAK_SECONDS ?? 0);
const fixedSeed = process.env.AIOFS_SOAK_SEED === undefined ? 0x5eed : Number(process.env.AIOFS_SOAK_SEED);
const steps = Number(process.env.AIOFS_SOAK_STEPS ?? (soakSeconds > 0 ? 2000 : 1500));
const budgetMs = (soakSeconds * 1000) / filesystems.filter((f) => f.skipReason === undefined).length;
console.log(
  `[model soak] ${soakSeconds > 0 ? `random seeds for ${soakSeconds} s in all` : `seed ${fixedSeed}`}, ${steps} steps per seed\n${describeFilesystems(filesystems)}`,
);

describe('model-based soak', () => {
  for (const f of filesystems) {
    const skip = f.skipReason;
    it.skipIf(skip !== undefined)(
      `${f.name}: every step matches the model${skip ? ` [SKIPPED: ${skip}]` : ''}`,
      async () => {
        const outcomes: SoakOutcome[] = [];
        const started = Date.now();
        do {
          const seed = soakSeconds > 0 ? (Math.random() * 2 ** 32) >>> 0 : fixedSeed;
          const outcome = await soak(seed, steps, f.dir);
          outcomes.push(outcome);
          if (outcome.mismatch !== undefined) {
            console.log(
              `[model soak] ${f.name}: MISMATCH ${outcome.mismatch}\n  replay: AIOFS_SOAK_SEED=${seed} AIOFS_SOAK_STEPS=${steps} npx vitest run test/reliability/model-soak.test.ts`,
            );
            break;
          }
        } while (soakSeconds > 0 && Date.now() - started < budgetMs);
        const totalSteps = outcomes.reduce((sum, o) => sum + o.steps, 0);
        const ops: Record<string, number> = {};
        for (const o of outcomes) for (const [op, count] of Object.entries(o.ops)) ops[op] = (ops[op] ?? 0) + count;
        console.log(
          `[model soak] ${f.name}: ${outcomes.length} seed(s) (${outcomes.map((o) => o.seed).join(', ')}), ${totalSteps} steps in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
            Object.entries(ops)
              .map(([op, count]) => `${op} ${count}`)
              .join(', '),
        );
        expect(outcomes.map((o) => o.mismatch).filter(Boolean)).toEqual([]);
        expect(totalSteps).toBeGreaterThanOrEqual(steps);
      },
      Math.max(600_000, budgetMs + 300_000),
    );
  }
});
