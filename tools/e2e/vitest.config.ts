import { defineConfig } from 'vitest/config';

// One file per suite under suites/; they start real processes, one suite at a time.
export default defineConfig({
  test: {
    include: ['suites/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
