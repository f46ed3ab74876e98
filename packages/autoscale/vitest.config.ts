import { defineConfig } from 'vitest/config';

// The package's own tests; the end-to-end suites that run the CLI against real processes are in tools/e2e.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
  },
});
