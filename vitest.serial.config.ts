import { defineConfig } from 'vitest/config';

// Tests that change machine-wide settings (fs.aio-max-nr) run alone, after the main suite, so no
// other test file can create an AIO context while the budget is lowered.
export default defineConfig({
  test: {
    include: ['test/**/*.serial.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
