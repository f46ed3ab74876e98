import { defineConfig } from 'tsup';

export default defineConfig({
  // Not bundled: dist/ mirrors src/, so the pool finds dist/inference/worker.js beside itself.
  entry: ['src/**/*.ts', '!src/**/*.test.ts', '!src/**/*.fixture.ts'],
  bundle: false,
  format: ['esm'],
  clean: true,
  sourcemap: true,
  target: 'node20',
});
