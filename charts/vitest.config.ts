import { defineConfig } from 'vitest/config';

// test/global-setup.ts finds helm (HELM_BIN, the cluster cache, PATH) or builds it once with Go
// before any test runs, and hands its path to the tests.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    hookTimeout: 900_000,
    testTimeout: 60_000,
  },
});
