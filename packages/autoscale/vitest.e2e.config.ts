import { defineConfig } from 'vitest/config';

// The end-to-end suite (real Prometheus, model servers, load): `pnpm test:e2e`.
export default defineConfig({
  test: {
    include: ['e2e/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
