import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
  },
  {
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
  },
  {
    // the worker threads of `mlscale tune` (src/tune/pool.ts loads it beside the CLI)
    entry: { 'tune-worker': 'src/tune/worker.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
  },
]);
