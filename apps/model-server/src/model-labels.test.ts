// The serving series carry `model` and `version` from MODEL_NAME / MODEL_VERSION.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from './server.fixture.js';
import type { RunningServer } from './server.js';

let server: RunningServer;
let base: string;
beforeAll(async () => {
  ({ server, base } = await startTestServer({
    MODEL_NAME: 'sentiment-768x2',
    MODEL_VERSION: '3',
    WORKERS: '1',
    GPU_PROBE: 'off',
  }));
}, 60_000);
afterAll(async () => {
  await server?.shutdown('test over');
});

describe('per-model labels', () => {
  it('labels every serving series with model and version, and no other series', async () => {
    const predict = await fetch(`${base}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ features: [0.1, 0.2, 0.3] }),
    });
    expect(predict.status).toBe(200);
    const text = await (await fetch(`${base}/metrics`)).text();
    const labelled =
      /\{[^}]*model="sentiment-768x2"[^}]*version="3"[^}]*\}|\{[^}]*version="3"[^}]*model="sentiment-768x2"[^}]*\}/;
    for (const series of [
      'inference_latency_seconds_count',
      'http_requests_total',
      'http_request_duration_seconds_count',
      'request_queue_depth',
      'request_queue_depth_seconds_total',
      'request_queue_wait_seconds_count',
    ]) {
      const lines = text
        .split('\n')
        .filter((line) => line.startsWith(`${series}{`) || line.startsWith(`${series} `));
      expect(lines.length, `${series} is exported`).toBeGreaterThan(0);
      for (const line of lines) expect(line, series).toMatch(labelled);
    }
    // the inference route's own series, as the adapter rules select it
    expect(text).toMatch(
      /http_requests_total\{method="POST",route="\/predict",status="200",model="sentiment-768x2",version="3"\} 1/,
    );
    // process metrics stay unlabelled: they describe the process, not the model
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
  });
});
