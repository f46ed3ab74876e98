// Exemplars end to end: a real Prometheus (with --enable-feature=exemplar-storage) scrapes the
// OpenMetrics exposition and stores the exemplars, and reads the counters under their own names.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServerType, serve } from '@hono/node-server';
import { Hono } from 'hono';
import { type OpenMetricsContentType, openMetricsContentType, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpMetrics } from './http-metrics.js';
import { inferenceMetrics } from './inference-metrics.js';
import { metricsHandler } from './metrics-handler.js';

function openMetricsRegistry(): Registry<OpenMetricsContentType> {
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(openMetricsContentType);
  return registry;
}

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const prometheusBin = process.env.PROMETHEUS_BIN ?? 'prometheus';

function requirePrometheus(): void {
  try {
    execFileSync(prometheusBin, ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error(
      `${prometheusBin} not found: apt-get install -y prometheus (Debian), or download it from https://prometheus.io/download/ and set PROMETHEUS_BIN`,
    );
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

let app: ServerType;
let prometheus: ChildProcess;
let prometheusUrl = '';
let prometheusLog = '';
const dir = mkdtempSync(join(tmpdir(), 'metrics-exemplars-'));

beforeAll(async () => {
  requirePrometheus();
  const registry = openMetricsRegistry();
  const inference = inferenceMetrics({ registry });
  const hono = new Hono();
  hono.use(httpMetrics({ registry, exemplar: () => ({ trace_id: traceId }) }));
  hono.post('/predict', (c) => {
    inference.observe(0.0002, { trace_id: traceId });
    return c.json({ prediction: [1] });
  });
  hono.get('/metrics', metricsHandler({ registry }));
  const appPort = await new Promise<number>((resolve) => {
    app = serve({ fetch: hono.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
      resolve(info.port),
    );
  });
  await fetch(`http://127.0.0.1:${appPort}/predict`, { method: 'POST' });

  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global: { scrape_interval: 1s }\nscrape_configs:\n  - job_name: app\n    static_configs: [{ targets: ['127.0.0.1:${appPort}'] }]\n`,
  );
  // A free port is free when asked, not when Prometheus binds it (other test runs share the
  // machine): when it exits saying the address is in use, start it again on another port.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    prometheusUrl = `http://127.0.0.1:${port}`;
    prometheusLog = '';
    const child = spawn(
      prometheusBin,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--enable-feature=exemplar-storage',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    prometheus = child;
    child.stderr?.on('data', (chunk: Buffer) => {
      prometheusLog = (prometheusLog + chunk.toString()).slice(-4000);
    });
    const deadline = Date.now() + 20_000;
    while (child.exitCode === null && Date.now() < deadline) {
      const ready = await fetch(`${prometheusUrl}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    if (attempt < 3 && child.exitCode !== null && /address already in use/.test(prometheusLog)) {
      continue;
    }
    throw new Error(`Prometheus did not become ready on ${prometheusUrl}:\n${prometheusLog}`);
  }
}, 30_000);

afterAll(async () => {
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((resolve) => prometheus.once('exit', resolve));
    prometheus.kill('SIGTERM');
    await exited;
  }
  await new Promise((resolve) => (app ? app.close(resolve) : resolve(undefined)));
  rmSync(dir, { recursive: true, force: true });
});

/** Asks Prometheus `path` until `found` holds on its `data` (at most 30 s). */
async function poll<T>(path: string, found: (data: T) => boolean): Promise<T> {
  const deadline = Date.now() + 30_000;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const body = (await (await fetch(`${prometheusUrl}${path}`)).json()) as { data: T };
      last = body.data;
      if (found(body.data)) return body.data;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(
    `Prometheus never answered ${path} as expected; last: ${JSON.stringify(last)}\n${prometheusLog}`,
  );
}

interface ExemplarSeries {
  seriesLabels: Record<string, string>;
  exemplars: Array<{ labels: Record<string, string>; value: string }>;
}

describe('exemplars in a real Prometheus', () => {
  it('stores the exemplar of inference_latency_seconds on the bucket it fell in', async () => {
    const now = Date.now() / 1000;
    const data = await poll<ExemplarSeries[]>(
      `/api/v1/query_exemplars?query=inference_latency_seconds_bucket&start=${now - 600}&end=${now + 600}`,
      (series) => series.length > 0,
    );
    expect(
      data.map((s) => [s.seriesLabels.le, s.exemplars.map((e) => [e.labels, e.value])]),
    ).toEqual([['0.00025', [[{ trace_id: traceId }, '0.0002']]]]);
  }, 40_000);

  it('stores the exemplar of http_request_duration_seconds, and reads http_requests_total by its name', async () => {
    const now = Date.now() / 1000;
    const data = await poll<ExemplarSeries[]>(
      `/api/v1/query_exemplars?query=http_request_duration_seconds_bucket&start=${now - 600}&end=${now + 600}`,
      (series) => series.length > 0,
    );
    expect(data).toHaveLength(1);
    expect(data[0]?.seriesLabels).toMatchObject({
      route: '/predict',
      method: 'POST',
      status: '200',
    });
    expect(data[0]?.exemplars[0]?.labels).toEqual({ trace_id: traceId });
    const counter = await poll<{ result: Array<{ value: [number, string] }> }>(
      '/api/v1/query?query=http_requests_total%7Broute%3D%22%2Fpredict%22%7D',
      (d) => d.result.length > 0,
    );
    expect(counter.result[0]?.value[1]).toBe('1');
  }, 40_000);
});
