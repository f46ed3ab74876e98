import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  compileRuleNamer,
  metricNameForSeries,
  readAdapterValues,
  readScaledObject,
  renderMetricsQuery,
} from '@mlscale/autoscale';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appBuilt, freePort, loadYaml, type RunningApp, startApp } from './helpers.js';

// The real Prometheus (Debian's `prometheus`, or PROMETHEUS_BIN) parses and evaluates the queries:
// once with nothing scraped (what Prometheus returns when it lost the targets) and once scraping the
// live model server as pod model-server-0 of namespace default.
const prometheusBin = (() => {
  const candidate = process.env.PROMETHEUS_BIN ?? 'prometheus';
  try {
    execFileSync(candidate, ['--version'], { stdio: 'ignore' });
    return candidate;
  } catch {
    return undefined;
  }
})();

interface QueryResult {
  status: string;
  errorType?: string;
  error?: string;
  data?: {
    resultType: string;
    result: { metric: Record<string, string>; value: [number, string] }[];
  };
}

class Prometheus {
  private constructor(
    readonly base: string,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {}

  static async start(targets: string[]): Promise<Prometheus> {
    const dir = mkdtempSync(join(tmpdir(), 'mlscale-prom-'));
    const port = await freePort();
    const config = {
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      scrape_configs: targets.map((target) => ({
        job_name: 'model-server',
        static_configs: [
          {
            targets: [target],
            labels: { namespace: 'default', pod: 'model-server-0', service: 'model-server' },
          },
        ],
      })),
    };
    writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config));
    const child = spawn(
      prometheusBin as string,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    const prometheus = new Prometheus(`http://127.0.0.1:${port}`, child, dir);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      try {
        if ((await fetch(`${prometheus.base}/-/ready`)).status === 200) return prometheus;
      } catch {
        // starting
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await prometheus.stop();
    throw new Error('Prometheus did not become ready in 30 s');
  }

  async query(query: string): Promise<QueryResult> {
    const response = await fetch(`${this.base}/api/v1/query?query=${encodeURIComponent(query)}`);
    return (await response.json()) as QueryResult;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
        this.child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        this.child.kill('SIGTERM');
      });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const values = readAdapterValues(loadYaml('helm/prometheus-adapter-values.yaml'));
if (!values.ok) throw new Error(values.error);
const adapterQueries = values.value.custom.map((rule) => {
  const series = /^[a-z_]+/.exec(rule.seriesQuery)?.[0] ?? '';
  const query = renderMetricsQuery(rule, {
    series,
    namespace: 'default',
    names: ['model-server-0'],
  });
  if (!query.ok) throw new Error(query.error);
  const namer = compileRuleNamer(rule);
  if (!namer.ok) throw new Error(namer.error);
  return [metricNameForSeries(namer.value, series) ?? series, query.value] as const;
});
const scaledObject = readScaledObject(loadYaml('keda/scaledobject.yaml'));
if (!scaledObject.ok) throw new Error(scaledObject.error);
const kedaQueries = scaledObject.value.prometheusTriggers.map(
  (t) => [t.name ?? t.metricName, t.query] as const,
);

describe.runIf(prometheusBin)('the queries on a real Prometheus', () => {
  describe('with no target scraped', () => {
    let prometheus: Prometheus;
    beforeAll(async () => {
      prometheus = await Prometheus.start([]);
    }, 40_000);
    afterAll(async () => {
      await prometheus?.stop();
    });

    it.each([...adapterQueries, ...kedaQueries])(
      '%s parses and returns nothing',
      async (_name, query) => {
        const result = await prometheus.query(query);
        expect(result, query).toMatchObject({
          status: 'success',
          data: { resultType: 'vector', result: [] },
        });
      },
    );

    it('rejects a broken query (the check is real)', async () => {
      expect(await prometheus.query('sum(rate(x[1m])')).toMatchObject({
        status: 'error',
        errorType: 'bad_data',
      });
    });
  });

  describe.runIf(appBuilt)('scraping the live model server', () => {
    let prometheus: Prometheus;
    let app: RunningApp;
    beforeAll(async () => {
      app = await startApp({ SHUTDOWN_DELAY_SECONDS: '0', SHUTDOWN_DRAIN_SECONDS: '1' });
      prometheus = await Prometheus.start([new URL(app.base).host]);
    }, 60_000);
    afterAll(async () => {
      await prometheus?.stop();
      await app?.stop();
    });

    async function waitFor(query: string, done: (r: QueryResult) => boolean): Promise<QueryResult> {
      const deadline = Date.now() + 20_000;
      let last = await prometheus.query(query);
      while (!done(last) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        last = await prometheus.query(query);
      }
      return last;
    }

    it('an idle pod reads 0 on every KEDA query: empty means lost targets only', async () => {
      for (const [, query] of kedaQueries) {
        const result = await waitFor(query, (r) => (r.data?.result.length ?? 0) > 0);
        expect(
          result.data?.result.map((r) => Number(r.value[1])),
          query,
        ).toEqual([0]);
      }
    }, 30_000);

    it('under requests, the time-averaged queue depth and the end-to-end latency read above 0', async () => {
      const body = JSON.stringify({ features: Array.from({ length: 768 }, () => 0.5) });
      const stopAt = Date.now() + 4000;
      while (Date.now() < stopAt) {
        await Promise.all(
          Array.from({ length: 8 }, () =>
            fetch(`${app.base}/predict`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body,
            }),
          ),
        );
      }
      const byName = new Map<string, string>([...adapterQueries, ...kedaQueries]);
      for (const name of [
        'http_request_duration_seconds_avg',
        'request_queue_depth_avg',
        'e2e-latency',
      ]) {
        const query = byName.get(name) as string;
        const result = await waitFor(query, (r) => Number(r.data?.result[0]?.value[1] ?? 0) > 0);
        expect(Number(result.data?.result[0]?.value[1]), `${name}: ${query}`).toBeGreaterThan(0);
      }
      // The adapter's rules answer per pod, labelled by the pod (what the adapter maps back to pods).
      const perPod = await prometheus.query(byName.get('request_queue_depth_avg') as string);
      expect(perPod.data?.result.map((r) => r.metric)).toEqual([{ pod: 'model-server-0' }]);
    }, 40_000);
  });
});
