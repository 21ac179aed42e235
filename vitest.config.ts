import { defineConfig } from 'vitest/config';

/**
 * Test files left out of the quick tier (`npm test`, AIOFS_TEST_TIER=quick): each takes 20 s to several
 * minutes here (whole filesystems per case, every Node behaviour compared, memory and crash runs, the
 * bench suite itself). `npm run test:full` and CI run them; naming a file (`npx vitest run FILE`) runs it
 * in either tier.
 */
const FULL_TIER_ONLY = [
  'test/arguments-differential.test.ts',
  'test/promises-differential.test.ts',
  'test/bench-suite.test.ts',
  'test/fallback.test.ts',
  'test/read-stream-differential.test.ts',
  'test/register-libraries.test.ts',
  'test/stream-scale.test.ts',
  'test/write-stream-differential.test.ts',
  'test/reliability/crash-consistency.test.ts',
  'test/reliability/leaks.test.ts',
  'test/reliability/lifecycle.test.ts',
  'test/reliability/load.test.ts',
];

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/**/*.serial.test.ts', 'node_modules/**', ...(process.env.AIOFS_TEST_TIER === 'quick' ? FULL_TIER_ONLY : [])],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
