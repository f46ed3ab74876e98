/**
 * The real prometheus-adapter, with infra/'s values, serves every custom metric whose series the
 * pods export, for every ready pod, through the aggregation layer; each value equals what
 * `mlscale watch` renders for that pod from the same Prometheus (collectAdapterMetrics, the rules
 * rendered in TypeScript), within the adapter's milli-unit rounding. Then, with the rules of
 * `mlscale plan --forecast linear`, it serves the forecast as an external metric equal to what
 * Prometheus gives for the rule's query in the namespace.
 *
 * The two read Prometheus at different instants, and rate() windows move with time: each adapter
 * value is read between two `watch` reads and must lie between them (± 1 milli). A scrape landing
 * between the reads can move a value past both; such a read is retried (at most 5 times).
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  collectAdapterMetrics,
  PrometheusClient,
  parseAdapterValues,
  startOpenLoop,
} from '@mlscale/autoscale';
import { waitFor } from '@mlscale/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restartAdapter } from '../src/adapter.js';
import { clusterInfo, REPO_ROOT } from '../src/control-plane.js';
import { customMetric } from './hpa-observer.js';
import { getJson, isPodReady, kubectl, services } from './kube.js';
import { POD_CAPACITY_RPS, planForStep, withEmulatedPods } from './step-scenario.js';

const namespace = 'adapter-values';
const values = parseAdapterValues(
  readFileSync(join(REPO_ROOT, 'infra/helm/prometheus-adapter-values.yaml'), 'utf8'),
);
if (!values.ok) throw new Error(values.error);
const rules = values.value.custom;

async function readyPods(): Promise<string[]> {
  const pods = await getJson<{
    items: {
      metadata: { name: string };
      status?: { conditions?: { type: string; status: string }[] };
    }[];
  }>(['pods', '-n', namespace, '-l', 'app=model-server']);
  return pods.items
    .filter(isPodReady)
    .map((p) => p.metadata.name)
    .sort();
}

describe('prometheus-adapter (real, infra values) against mlscale watch', () => {
  let stopLoad: (() => Promise<unknown>) | undefined;

  beforeAll(async () => {
    await kubectl(['create', 'namespace', namespace]).catch(() => {});
    await kubectl(
      ['apply', '--server-side', '-f', '-'],
      await withEmulatedPods('infra/overlays/local', namespace),
    );
    await waitFor('2 ready pods', async () => (await readyPods()).length >= 2, 240_000, 1000);
    const url = services()[`${namespace}/model-server`];
    if (!url) throw new Error('no Service port');
    const load = startOpenLoop({
      targets: url,
      rate: POD_CAPACITY_RPS,
      durationSeconds: 600,
      body: JSON.stringify({ features: [0.1, 0.2] }),
    });
    stopLoad = async () => {
      load.stop();
      await load.done;
    };
    // infra's windows are up to 2 minutes; the relist (1 m) must have found every series.
    await new Promise((r) => setTimeout(r, 130_000));
  });

  afterAll(async () => {
    await restartAdapter();
    await stopLoad?.();
    await kubectl(['delete', 'namespace', namespace, '--wait=false']).catch(() => {});
  });

  it('serves every custom metric with series, for every ready pod, equal to what watch renders', async () => {
    const client = new PrometheusClient({ url: clusterInfo().prometheus });
    const pods = await readyPods();
    // What the adapter lists (discovery of custom.metrics.k8s.io): its rules applied to the series.
    const discovery = JSON.parse(
      await kubectl(['get', '--raw', '/apis/custom.metrics.k8s.io/v1beta2']),
    ) as {
      resources: { name: string }[];
    };
    const served = [
      ...new Set(
        discovery.resources.filter((r) => r.name.startsWith('pods/')).map((r) => r.name.slice(5)),
      ),
    ].sort();
    const watch = async () =>
      (await collectAdapterMetrics({ client, rules, namespace, metrics: served })).metrics;
    // The GPU rules have no series on CPU pods (GPU_PROBE=off): the adapter lists no metric for them.
    console.log(`the adapter serves for pods: ${served.join(', ')}`);
    expect(served).toEqual(
      expect.arrayContaining([
        'http_request_duration_seconds_avg',
        'inference_latency_seconds_avg',
        'inference_latency_seconds_p95',
        'request_queue_depth',
        'request_queue_depth_avg',
      ]),
    );
    const report: string[] = [];
    for (const metric of served) {
      let ok = false;
      for (let attempt = 1; attempt <= 5 && !ok; attempt++) {
        const before = (await watch())[metric]?.values ?? {};
        const adapter = await customMetric(namespace, metric, 'app=model-server');
        const after = (await watch())[metric]?.values ?? {};
        const byPod = Object.fromEntries(
          adapter.items.map((item) => [item.describedObject.name, item.value]),
        );
        ok = pods.every((pod) => {
          const a = byPod[pod];
          const w1 = before[pod];
          const w2 = after[pod];
          if (a === undefined || w1 === undefined || w2 === undefined) return false;
          const value = parseQuantityMilli(a);
          return value >= Math.min(w1, w2) - 0.001 && value <= Math.max(w1, w2) + 0.001;
        });
        report.push(
          `${metric} attempt ${attempt}: ${pods.map((p) => `${p}: adapter ${byPod[p]} watch ${before[p]}..${after[p]}`).join('; ')}`,
        );
      }
      expect(ok, report.filter((line) => line.startsWith(metric)).join('\n')).toBe(true);
    }
    console.log(report.join('\n'));
  });

  it("serves plan --forecast linear's external rule as Prometheus evaluates its query", async () => {
    const { adapterValues: valuesFile } = planForStep(['--forecast', 'linear']);
    const read = parseAdapterValues(readFileSync(valuesFile, 'utf8'));
    if (!read.ok) throw new Error(`${valuesFile}: ${read.error}`);
    const rule = read.value.external[0];
    const metric = rule?.name.as;
    if (!rule || !metric) throw new Error(`${valuesFile} has no external rule with a name`);
    await restartAdapter(valuesFile);
    // What the adapter sends for a namespaced external metric with no selector: the namespace.
    const query = rule.metricsQuery.replaceAll('<<.LabelMatchers>>', `namespace="${namespace}"`);
    const client = new PrometheusClient({ url: clusterInfo().prometheus });
    const prometheus = async () => {
      const result = await client.query(query);
      if (result.resultType !== 'vector' || result.result.length !== 1) {
        throw new Error(`${query}: expected one sample, got ${JSON.stringify(result)}`);
      }
      return (result.result[0] as { value: number }).value;
    };
    const path = `/apis/external.metrics.k8s.io/v1beta1/namespaces/${namespace}/${metric}`;
    const report: string[] = [];
    let forecastPods = Number.NaN;
    await waitFor(
      `${metric} from the adapter between two reads of Prometheus`,
      async () => {
        try {
          const before = await prometheus();
          const list = JSON.parse(await kubectl(['get', '--raw', path])) as {
            items: { value: string }[];
          };
          const after = await prometheus();
          const served = list.items[0]?.value;
          report.push(`adapter ${served}, Prometheus ${before}..${after}`);
          if (served === undefined) return false;
          const value = parseQuantityMilli(served);
          forecastPods = value;
          return (
            value >= Math.min(before, after) - 0.001 && value <= Math.max(before, after) + 0.001
          );
        } catch (error) {
          report.push((error as Error).message.split('\n')[0] ?? '');
          return false;
        }
      },
      120_000,
      2000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${report.join('\n')}`);
    });
    console.log(`${metric} (${query}): ${report.at(-1)}`);
    // 25 req/s steady, 19 req/s per pod held: about 1.3 pods, whatever the trend's noise.
    expect(forecastPods).toBeGreaterThan(0.5);
  });
});

function parseQuantityMilli(quantity: string): number {
  const match = /^(-?[\d.]+)([munk]?)$/.exec(quantity);
  if (!match) throw new Error(`unexpected quantity ${quantity}`);
  const scale: Record<string, number> = { '': 1, m: 1e-3, u: 1e-6, n: 1e-9, k: 1e3 };
  return Number(match[1]) * (scale[match[2] ?? ''] ?? 1);
}
