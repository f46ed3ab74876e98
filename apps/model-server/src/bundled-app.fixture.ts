// Test helper (not a test, not built into dist/): the route tests' app over the bundled model, with
// the model's output computed in plain JS to check predictions against.
import { readFile } from 'node:fs/promises';
import type { Hono } from 'hono';
import type { Gauge, Registry } from 'prom-client';
import { afterAll, beforeAll } from 'vitest';
import { type Float32Initializer, readInitializers } from '../scripts/onnx-graph.js';
import { testApp } from './app.fixture.js';
import type { AppOptions } from './app.js';
import { BUNDLED_MODEL } from './config.js';
import type { ServerState } from './http/health.js';
import { InferencePool } from './inference/pool.js';

/** The body limit the route tests run with. */
const BODY_LIMIT = 16 * 1024;

/** The bench's 768-feature predict body. */
export const predict768 = JSON.parse(
  await readFile(new URL('../bench/bodies/predict-768.json', import.meta.url), 'utf8'),
) as { features: number[] };

/**
 * Starts an inference pool on the bundled model before the file's tests and closes it after them
 * (call it at the top of a test file).
 *
 * @returns `setup`, the app over that pool (ready, `BODY_LIMIT`, limits as given), and `linear`,
 *   the bundled model's output for `features` (zero-padded / truncated to 768), in plain JS
 * @example
 * const { setup, linear } = withBundledModel();
 */
export function withBundledModel() {
  /** The bundled model's output for `features` (zero-padded / truncated to 768), in plain JS. */
  let linear: (features: number[]) => number[];
  let pool: InferencePool;
  beforeAll(async () => {
    pool = await InferencePool.start({ modelPath: BUNDLED_MODEL, batchMaxSize: 8 });
    const init = readInitializers(await readFile(BUNDLED_MODEL));
    const w = init.get('w0') as Float32Initializer;
    const b = init.get('b0') as Float32Initializer;
    linear = (features) =>
      [0, 1].map((o) => {
        let sum = b.data[o] ?? 0;
        for (let i = 0; i < 768; i++)
          sum += Math.fround(features[i] ?? 0) * (w.data[o * 768 + i] ?? 0);
        return sum;
      });
  });
  afterAll(async () => {
    await pool.close();
  });

  function setup({
    strict = false,
    ...limits
  }: { strict?: boolean } & Partial<AppOptions['config']> = {}) {
    const state: ServerState = { phase: 'ready', draining: false };
    const config = { predictStrict: strict, bodyLimitBytes: BODY_LIMIT, ...limits };
    return { ...testApp({ pool, config, state }), state };
  }
  return { setup, linear: (features: number[]) => linear(features) };
}

/** POSTs `body` to `path`, with a JSON Content-Type unless told otherwise (`null`: none). */
export function post(
  app: Hono,
  path: string,
  body: string,
  contentType: string | null = 'application/json',
) {
  const headers: Record<string, string> = {};
  if (contentType !== null) headers['Content-Type'] = contentType;
  return app.request(path, { method: 'POST', headers, body });
}

/** The value of `request_queue_depth` in `registry`. */
export async function depth(registry: Registry): Promise<number> {
  const gauge = registry.getSingleMetric('request_queue_depth') as Gauge;
  return (await gauge.get()).values[0]?.value ?? Number.NaN;
}
