import { defineConfig } from 'vitest/config';

// Two projects: `unit` (the node agent's and the configs' pieces, no processes; part of `pnpm test`)
// and `cluster` (suites on the real control plane, `pnpm test:cluster`: one cluster for the run,
// started by suites/global-setup.ts, one suite at a time).
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['src/**/*.test.ts'] } },
      {
        test: {
          name: 'cluster',
          include: ['suites/**/*.test.ts'],
          globalSetup: ['suites/global-setup.ts'],
          testTimeout: 1_200_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
