import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Tests compile the fake NVML with cc, which takes seconds on a loaded two-core CI machine.
    testTimeout: 30_000,
  },
});
