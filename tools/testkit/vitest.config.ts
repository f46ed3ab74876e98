import { defineConfig } from 'vitest/config';

// The kit's own tests start real processes (Prometheus, a model server): generous timeouts.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
