// The inference queue as the app mounts it: what takes a slot, what request_queue_depth counts,
// the wait limit and shedding on arrival. The model is a stand-in that holds requests until told.

import { until } from '@mlscale/testkit';
import type { Hono } from 'hono';
import type { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './app.fixture.js';
import type { AppOptions } from './app.js';
import { BUNDLED_MODEL } from './config.js';
import { InferencePool, type InferenceResult } from './inference/pool.js';

let real: InferencePool;
beforeAll(async () => {
  real = await InferencePool.start({ modelPath: BUNDLED_MODEL, batchMaxSize: 1 });
});
afterAll(async () => {
  await real.close();
});

/** A pool that starts each request at once and finishes it when `release()` is called. */
function heldPool() {
  const held: (() => void)[] = [];
  const pool = {
    signature: real.signature,
    batchable: real.batchable,
    infer(_feeds: unknown, options: { onStart?: () => void } = {}): Promise<InferenceResult> {
      options.onStart?.();
      return new Promise((resolve) =>
        held.push(() =>
          resolve({
            outputs: { output: { type: 'float32', dims: [1, 2], data: new Float32Array(2) } },
            seconds: 0.001,
            batchRequests: 1,
          }),
        ),
      );
    },
  };
  return {
    pool: pool as unknown as InferencePool,
    get running() {
      return held.length;
    },
    releaseAll() {
      for (const done of held.splice(0)) done();
    },
  };
}

function setup(limits: Partial<AppOptions['config']>) {
  const held = heldPool();
  return {
    ...testApp({ pool: held.pool, config: { bodyLimitBytes: 64 * 1024, ...limits } }),
    held,
  };
}

function predict(app: Hono, body: string | ReadableStream<Uint8Array> = '{"features":[1]}') {
  return app.request('/predict', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body,
    duplex: 'half',
  } as RequestInit);
}

async function sample(registry: Registry, series: string): Promise<number> {
  const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
}

/** A body that sends one byte and then never ends (a client that stalled). */
function stalledBody() {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{'));
    },
  });
}

describe('request_queue_depth', () => {
  it('rises with requests the model has not answered: waiting and running', async () => {
    const { app, registry, held } = setup({ maxConcurrency: 2, maxQueue: 8 });
    const answers = Array.from({ length: 5 }, () => predict(app));
    await until(() => held.running === 2);
    await until(async () => (await sample(registry, 'request_queue_depth')) === 5);
    held.releaseAll();
    await until(() => held.running === 2);
    held.releaseAll();
    await until(() => held.running === 1);
    held.releaseAll();
    for (const res of await Promise.all(answers)) expect(res.status).toBe(200);
    expect(await sample(registry, 'request_queue_depth')).toBe(0);
  });

  it('does not count requests whose body is still arriving, which hold no slot either', async () => {
    const { app, registry, held } = setup({ maxConcurrency: 1, maxQueue: 0 });
    const stalled = Array.from({ length: 3 }, () => predict(app, stalledBody()));
    await until(async () => (await sample(registry, 'requests_receiving')) === 3);
    expect(await sample(registry, 'request_queue_depth')).toBe(0);
    // With one slot and no queue, a ready request still gets the slot.
    const ready = predict(app);
    await until(() => held.running === 1);
    expect(await sample(registry, 'request_queue_depth')).toBe(1);
    held.releaseAll();
    expect((await ready).status).toBe(200);
    expect(stalled).toHaveLength(3); // they stay stalled; the body timeout is tested over sockets
  });
});

describe('limits of the queue', () => {
  it('a request that waits past MAX_WAIT_MS gets 503 wait_timeout with Retry-After', async () => {
    const { app, registry, held } = setup({ maxConcurrency: 1, maxQueue: 8, maxWaitMs: 50 });
    const first = predict(app);
    await until(() => held.running === 1);
    const waited = await predict(app);
    expect(waited.status).toBe(503);
    expect(waited.headers.get('Retry-After')).toBe('1');
    expect(await waited.json()).toEqual({
      error: 'no slot was free within 50 ms; retry later',
    });
    expect(await sample(registry, 'requests_rejected_total{reason="wait_timeout"}')).toBe(1);
    expect(await sample(registry, 'request_queue_depth')).toBe(1);
    held.releaseAll();
    expect((await first).status).toBe(200);
  });

  it('a full queue refuses on arrival, without reading the body', async () => {
    const { app, registry, held } = setup({ maxConcurrency: 1, maxQueue: 0 });
    const first = predict(app);
    await until(() => held.running === 1);
    // This body never ends: only a refusal that does not read it can answer.
    const shed = await predict(app, stalledBody());
    expect(shed.status).toBe(503);
    expect(shed.headers.get('Retry-After')).toBe('1');
    expect(await sample(registry, 'requests_rejected_total{reason="queue_full"}')).toBe(1);
    expect(await sample(registry, 'requests_receiving')).toBe(0);
    held.releaseAll();
    expect((await first).status).toBe(200);
    const text = await registry.metrics();
    expect(text).toContain('http_requests_total{method="POST",route="/predict",status="503"} 1');
  });
});
