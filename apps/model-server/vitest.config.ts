import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Tests start real inference workers and a child server; a busy CI machine needs the margin.
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
