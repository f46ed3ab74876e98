/**
 * The real prometheus-adapter, with infra/'s values, serves every custom metric whose series the
 * pods export, for every ready pod, through the aggregation layer; each value equals what
 * `mlscale watch` renders for that pod from the same Prometheus (collectAdapterMetrics, the rules
 * rendered in TypeScript), within the adapter's milli-unit rounding.
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
import { clusterInfo, REPO_ROOT } from '../src/control-plane.js';
import { customMetric } from './hpa-observer.js';
import { getJson, isPodReady, kubectl, services } from './kube.js';
import { POD_CAPACITY_RPS, withEmulatedPods } from './step-scenario.js';

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
});

function parseQuantityMilli(quantity: string): number {
  const match = /^(-?[\d.]+)([munk]?)$/.exec(quantity);
  if (!match) throw new Error(`unexpected quantity ${quantity}`);
  const scale: Record<string, number> = { '': 1, m: 1e-3, u: 1e-6, n: 1e-9, k: 1e3 };
  return Number(match[1]) * (scale[match[2] ?? ''] ?? 1);
}
