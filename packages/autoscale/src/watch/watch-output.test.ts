/**
 * What `mlscale watch` prints says why it shows nothing, in the text output (not only in --json),
 * from what Prometheus holds rather than a guess; and its header lines up with its rows.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HorizontalPodAutoscaler } from '@mlscale/hpa';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAdapterValues } from '../adapter/rules.js';
import { parseSeriesSelector, seriesMatches } from '../adapter/series.js';
import { PrometheusClient } from '../prometheus/client.js';
import { formatWatchHeader, formatWatchLine, Watcher } from './watcher.js';

const values = parseAdapterValues(`
rules:
  custom:
    - seriesQuery: 'request_queue_depth_seconds_total{namespace!="",pod!=""}'
      resources: {overrides: {namespace: {resource: namespace}, pod: {resource: pod}}}
      name: {matches: "^request_queue_depth_seconds_total$", as: "request_queue_depth_avg"}
      metricsQuery: 'sum(rate(<<.Series>>{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>)'
`);
const hpa: HorizontalPodAutoscaler = {
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'model-server' },
  spec: {
    scaleTargetRef: { kind: 'Deployment', name: 'model-server' },
    minReplicas: 2,
    maxReplicas: 10,
    metrics: [
      {
        type: 'Pods',
        pods: {
          metric: { name: 'request_queue_depth_avg' },
          target: { type: 'AverageValue', averageValue: '10' },
        },
      },
    ],
  },
};

let server: Server | undefined;
afterEach(
  () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
);

/** A Prometheus holding `held`: `/api/v1/series` answers what each `match[]` selects, as Prometheus does. */
async function prometheusHolding(held: Record<string, string>[]): Promise<string> {
  const created = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/api/v1/series') {
        const selected = new URLSearchParams(body).getAll('match[]').flatMap((match) => {
          const matchers = parseSeriesSelector(match);
          if (!matchers.ok) return [];
          return held.filter((labels) =>
            seriesMatches({ name: labels.__name__ ?? '', labels }, matchers.value),
          );
        });
        res.end(JSON.stringify({ status: 'success', data: selected }));
        return;
      }
      res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } }));
    });
  });
  server = created;
  await new Promise<void>((resolve) => created.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(created.address() as AddressInfo).port}`;
}

async function line(held: Record<string, string>[], namespace = 'default'): Promise<string> {
  if (!values.ok) throw new Error(values.error);
  const watcher = new Watcher({
    client: new PrometheusClient({ url: await prometheusHolding(held) }),
    hpa,
    rules: values.value.custom,
    namespace,
  });
  return formatWatchLine(hpa, await watcher.tick(0));
}

describe('watch says why it shows nothing', () => {
  it('names the labels a bare scrape lacks, in the text, with the assumed replica count', async () => {
    // The case: a target without namespace/pod labels. The decision stops at
    // minReplicas and never reaches the metric; the reason must still be printed.
    const text = await line([
      { __name__: 'request_queue_depth_seconds_total', instance: '127.0.0.1:8080', job: 'pod' },
    ]);
    expect(text).toContain(
      'request_queue_depth_avg: no adapter rule serves "request_queue_depth_avg" in namespace "default": rules.custom[0] (seriesQuery request_queue_depth_seconds_total{namespace!="",pod!=""}): Prometheus has 1 series of request_queue_depth_seconds_total, but none with namespace!="", pod!="": their labels lack namespace and pod',
    );
    expect(text).toContain(
      'no pods found with series in namespace "default": REPLICAS is taken as 1',
    );
    expect(text).not.toContain('no traffic yet?');
    expect(text).toMatch(/ <none> /);
  });

  it('says when Prometheus has no such series, and when they are in another namespace', async () => {
    expect(await line([])).toContain(
      'Prometheus has no series request_queue_depth_seconds_total: the pods are not scraped, or have not exported it yet',
    );
    const elsewhere = await line([
      { __name__: 'request_queue_depth_seconds_total', namespace: 'serving', pod: 'p-0' },
    ]);
    expect(elsewhere).toContain(
      'its series are in namespace serving, not "default" (give --namespace)',
    );
  });

  it('lines its header up with its rows', async () => {
    const text = await line([]);
    const header = formatWatchHeader(hpa);
    const first = text.split('\n')[0] ?? '';
    const starts = (s: string) =>
      [...s.matchAll(/(?:^|\s{3})(\S)/g)].map((m) => (m.index ?? 0) + m[0].length - 1);
    expect(starts(first)).toEqual(starts(header));
  });
});
