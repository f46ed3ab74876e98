/**
 * What the HPA reads in the reactive simulator: each metric an HPA scales on is mapped, through the
 * prometheus-adapter rule that serves it (or a KEDA trigger's query), to a signal computed from the
 * simulated pods' counters as Prometheus would compute it.
 *
 * The simulated pods export the series of the project's model server: the histograms
 * `http_request_duration_seconds` (end to end), `inference_latency_seconds` (in the model) and
 * `request_queue_wait_seconds` (`_sum`/`_count`), the gauge `request_queue_depth` and the counter
 * `request_queue_depth_seconds_total` (its time integral). A rule's `metricsQuery` is rendered as
 * the adapter renders it (src/adapter) and read by shape:
 * - `rate(X_sum[w]) / rate(X_count[w])` → the mean of X over the window `w`; no requests in the
 *   window gives 0/0 = NaN, which the adapter drops (the pod has no value), unless the query falls
 *   back to zero (`... or 0 * ...`, `or vector(0)`);
 * - `rate(request_queue_depth_seconds_total[w])` → the exact mean depth over `w`;
 * - `request_queue_depth` without a range → the gauge as last scraped.
 * - `gpu_process_utilization_percent` without a range → the pod's own share of its GPU since the
 *   previous scrape, taken as the share of time the pod was busy (its served rate over its
 *   capacity): a GPU-bound model on a GPU it shares, as `@mlscale/gpu-probe` reads it per process.
 *   The device-wide `gpu_utilization_percent` depends on which pods share a GPU, which the
 *   simulator does not know: it is reported, not modelled.
 * Any other query (a quantile from buckets, another series) is reported, never guessed.
 */

import { SERIES } from '@mlscale/metric-contract';
import { renderExternalMetricsQuery, renderMetricsQuery } from '../adapter/render.js';
import type { AdapterRule } from '../adapter/rules.js';
import { parseAdapterValues } from '../adapter/rules.js';
import { discoverMetrics, type SeriesLabels } from '../adapter/series.js';
import { type ForecastSignal, forecastFromQuery } from '../forecast/signal.js';
import { metricNamesInQuery } from '../promql/names.js';

/** A histogram the simulated pods export, by what it measures. */
export type MeanSource = 'latency' | 'inference' | 'wait';

/** How a metric's value is computed from a pod's scraped samples. */
export type Signal =
  | {
      /** Mean of a histogram over a window: Δsum / Δcount. */
      kind: 'mean';
      source: MeanSource;
      windowSeconds: number;
      /** What a window without requests gives: no value (NaN dropped) or 0. */
      idle: 'missing' | 'zero';
      /** The query it was read from. */
      query: string;
    }
  | {
      /** Mean queue depth over a window, from the integral counter. */
      kind: 'depthRate';
      windowSeconds: number;
      query: string;
    }
  | {
      /** The queue depth gauge at the last scrape. */
      kind: 'depthGauge';
      query: string;
    }
  | {
      /** The pod's own GPU share in percent since the previous scrape: 100 × its busy fraction. */
      kind: 'gpuShare';
      query: string;
    }
  /** The service's request rate ahead, in pods (an `External` metric; see src/forecast). */
  | ForecastSignal;

const {
  httpDuration: { name: latency },
  inferenceLatency: { name: inference },
  queueWait: { name: wait },
  queueDepth: { name: depth },
  queueDepthSeconds: { name: depthSeconds },
  gpuProcessUtilization: { name: gpuShare },
  httpRequests: { name: requests },
} = SERIES;

const HISTOGRAMS: Record<string, MeanSource> = {
  [latency]: 'latency',
  [inference]: 'inference',
  [wait]: 'wait',
};

/** The series a simulated pod exports, with the labels Prometheus adds (namespace, pod). */
export function simulatedSeries(pod = 'pod-0', namespace = 'default'): SeriesLabels[] {
  const labels = { namespace, pod, route: '/predict', method: 'POST', status: '200' };
  return [
    ...Object.keys(HISTOGRAMS).flatMap((base) =>
      ['_sum', '_count', '_bucket'].map((suffix) => ({ name: `${base}${suffix}`, labels })),
    ),
    { name: requests, labels },
    { name: depth, labels: { namespace, pod } },
    { name: depthSeconds, labels: { namespace, pod } },
    // The GPU probe's per-process series, on the pod's one GPU.
    ...[gpuShare, SERIES.gpuProbeUp.name].map((name) => ({
      name,
      labels: { namespace, pod, gpu: '0', uuid: 'GPU-0' },
    })),
    {
      name: SERIES.gpuProcessAttributed.name,
      labels: { namespace, pod, gpu: '0', uuid: 'GPU-0', reason: 'host-pid-namespace' },
    },
  ];
}

function parseDuration(text: string): number | undefined {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 } as const;
  return parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2] as keyof typeof unit], 0);
}

/**
 * Reads a PromQL query by shape (see the module comment) into a signal.
 *
 * @param query - a rendered metricsQuery or a KEDA trigger query
 * @returns the signal, or why the simulator cannot model it
 * @example
 * signalFromQuery('sum(rate(request_queue_depth_seconds_total{pod="a"}[15s])) by (pod)');
 * // { ok: true, value: { kind: 'depthRate', windowSeconds: 15, ... } }
 */
export function signalFromQuery(
  query: string,
): { ok: true; value: Signal } | { ok: false; error: string } {
  const forecast = forecastFromQuery(query);
  if (forecast) return forecast;
  const names = metricNamesInQuery(query);
  const ranges = [...query.matchAll(/\[([^\]:]+)(?::[^\]]*)?\]/g)].map((m) =>
    parseDuration((m[1] ?? '').trim()),
  );
  const windows = ranges.filter((w): w is number => w !== undefined);
  const window = windows.length > 0 ? Math.max(...windows) : undefined;
  for (const [base, source] of Object.entries(HISTOGRAMS)) {
    if (names.includes(`${base}_bucket`)) {
      return {
        ok: false,
        error: `a quantile from ${base}_bucket is not modelled (the simulator models means of histograms, the depth counter and the depth gauge)`,
      };
    }
    if (names.includes(`${base}_sum`) && names.includes(`${base}_count`)) {
      if (window === undefined)
        return { ok: false, error: `no range window on ${base}_sum/_count` };
      const idle = /\bor\b/.test(query) && /(\b0\s*\*|vector\(\s*0\s*\))/.test(query);
      return {
        ok: true,
        value: {
          kind: 'mean',
          source,
          windowSeconds: window,
          idle: idle ? 'zero' : 'missing',
          query,
        },
      };
    }
  }
  if (names.includes(depthSeconds)) {
    if (window === undefined)
      return { ok: false, error: `${depthSeconds} without rate() over a window` };
    return { ok: true, value: { kind: 'depthRate', windowSeconds: window, query } };
  }
  if (names.includes(depth) && window === undefined) {
    return { ok: true, value: { kind: 'depthGauge', query } };
  }
  if (names.includes(gpuShare) && window === undefined) {
    return { ok: true, value: { kind: 'gpuShare', query } };
  }
  return {
    ok: false,
    error: `the query reads ${names.join(', ') || 'no series'}${window !== undefined ? ` over ${window} s` : ''}; the simulator models the means of ${Object.keys(HISTOGRAMS).join(', ')}, rate(${depthSeconds}[w]), the ${depth} gauge and ${gpuShare}`,
  };
}

/**
 * The signal of each metric the adapter rules serve, found as the adapter finds them (discovery
 * over the simulated pods' series, then the rule's query rendered for one pod).
 *
 * @param rules - `rules.custom` of the adapter values
 * @param external - `rules.external` (rendered for the namespace, as for an HPA's `External` metric)
 * @returns metric name → signal or the reason it cannot be simulated
 * @example
 * signalsFromRules(DEFAULT_ADAPTER_RULES).get('request_queue_depth_avg');
 */
export function signalsFromRules(
  rules: readonly AdapterRule[],
  external: readonly AdapterRule[] = [],
): Map<string, { ok: true; value: Signal } | { ok: false; error: string }> {
  const found = new Map<string, { ok: true; value: Signal } | { ok: false; error: string }>();
  const custom = discoverMetrics(rules, simulatedSeries()).metrics;
  const outside = discoverMetrics(external, simulatedSeries()).metrics;
  for (const { metric, series, rule } of [...custom, ...outside]) {
    if (found.has(metric)) continue;
    const rendered = external.includes(rule)
      ? renderExternalMetricsQuery(rule, { series, namespace: 'default' })
      : renderMetricsQuery(rule, { series, namespace: 'default', names: ['pod-0'] });
    if (!rendered.ok) {
      found.set(metric, { ok: false, error: rendered.error });
      continue;
    }
    const signal = signalFromQuery(rendered.value);
    found.set(
      metric,
      signal.ok ? signal : { ok: false, error: `${rule.path} (${metric}): ${signal.error}` },
    );
  }
  return found;
}

/**
 * The adapter rules used when no `--adapter-values` is given: the guide's two rules and the
 * project's two (as in infra/helm/prometheus-adapter-values.yaml).
 */
export const DEFAULT_ADAPTER_VALUES = `rules:
  custom:
    # the guide's: mean time in the model over 2 minutes (NaN, so no value, when idle)
    - seriesQuery: '${inference}_sum{namespace!="",pod!=""}'
      resources: { overrides: { namespace: { resource: namespace }, pod: { resource: pod } } }
      name: { matches: "^(.*)_sum$", as: "${inference}_avg" }
      metricsQuery: "sum(rate(${inference}_sum{<<.LabelMatchers>>}[2m])) by (<<.GroupBy>>) / sum(rate(${inference}_count{<<.LabelMatchers>>}[2m])) by (<<.GroupBy>>)"
    # the guide's: the queue depth gauge at the last scrape
    - seriesQuery: '${depth}{namespace!="",pod!=""}'
      resources: { overrides: { namespace: { resource: namespace }, pod: { resource: pod } } }
      name: { matches: "^(.*)$", as: "\${1}" }
      metricsQuery: "sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)"
    # the project's: mean end-to-end latency over 1 minute, 0 when idle
    - seriesQuery: '${latency}_sum{namespace!="",pod!=""}'
      resources: { overrides: { namespace: { resource: namespace }, pod: { resource: pod } } }
      name: { matches: "^(.*)_sum$", as: "\${1}_avg" }
      metricsQuery: "(sum(rate(${latency}_sum{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>) / (sum(rate(${latency}_count{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>) > 0)) or (0 * sum(rate(${depthSeconds}{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>))"
    # the project's: exact mean queue depth over 15 s from the integral counter
    - seriesQuery: '${depthSeconds}{namespace!="",pod!=""}'
      resources: { overrides: { namespace: { resource: namespace }, pod: { resource: pod } } }
      name: { matches: "^${depthSeconds}$", as: "${depth}_avg" }
      metricsQuery: "sum(rate(<<.Series>>{<<.LabelMatchers>>}[15s])) by (<<.GroupBy>>)"
`;

/**
 * {@link DEFAULT_ADAPTER_VALUES} parsed.
 *
 * @returns the rules
 */
export function defaultAdapterRules(): readonly AdapterRule[] {
  const parsed = parseAdapterValues(DEFAULT_ADAPTER_VALUES);
  if (!parsed.ok) throw new Error(`built-in adapter rules: ${parsed.error}`);
  return parsed.value.custom;
}
