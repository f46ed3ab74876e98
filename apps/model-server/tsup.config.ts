import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/main.ts', 'src/inference/worker.ts'],
  format: ['esm'],
  clean: true,
  sourcemap: true,
  target: 'node20',
});
