// The forecast functions against the real Prometheus (Debian's 2.42, started by @mlscale/testkit)
// on the same samples, as Prometheus' own promql tests do: the samples are written into its TSDB
// with promtool, then each query is asked at several times, aligned to the samples and not.
import { SERIES } from '@mlscale/metric-contract';
import { type RunningPrometheus, startPrometheus } from '@mlscale/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ForecastParameters, forecastQuery, forecastValue } from '../forecast/signal.js';
import { PrometheusClient } from '../prometheus/client.js';
import {
  deriv,
  extrapolatedRate,
  holtWinters,
  inRange,
  predictLinear,
  type TimedValue,
} from './forecast.js';

/** 2026-01-01T00:00:00Z: every sample lies in one two-hour TSDB block. */
const T0 = 1_767_225_600;
const requests = SERIES.httpRequests.name;

/** A gauge that wanders (a wave, a ramp and a saw-tooth), every 5 s for an hour. */
const gauge: TimedValue[] = Array.from({ length: 721 }, (_, i) => ({
  time: T0 + i * 5,
  value: 50 + 20 * Math.sin(i / 7) + (i % 5) * 3 + i * 0.1,
}));
/** The same with irregular times (scrapes late by 0 to 1.4 s), to the millisecond. */
const jittered: TimedValue[] = gauge.map((s, i) => ({
  time: s.time + ((i * 7) % 3) * 0.7 + 0.013,
  value: s.value * 1.5 - 10,
}));

/** Two pods' request counters: pod a from the start, pod b from T0 + 1000 s (its counter from 0). */
function counter(from: number): TimedValue[] {
  const samples: TimedValue[] = [];
  let total = 0;
  for (let t = from; t <= T0 + 3600; t += 5) {
    samples.push({ time: t, value: total });
    total += 5 * (12 + 8 * Math.sin((t - T0) / 170) + ((t - T0) % 35 === 0 ? 9 : 0));
  }
  return samples;
}
const pods = { a: counter(T0), b: counter(T0 + 1000) };

function openMetrics(): string {
  const line = (name: string, labels: string, s: TimedValue) =>
    `${name}${labels} ${s.value} ${s.time.toFixed(3)}`;
  return [
    '# TYPE forecast_gauge gauge',
    ...gauge.map((s) => line('forecast_gauge', '', s)),
    '# TYPE forecast_jittered gauge',
    ...jittered.map((s) => line('forecast_jittered', '', s)),
    `# TYPE ${requests} counter`,
    ...Object.entries(pods).flatMap(([pod, samples]) =>
      samples.map((s) => line(requests, `{pod="${pod}"}`, s)),
    ),
    '# EOF',
    '',
  ].join('\n');
}

/** Evaluation times: on a sample, between samples, just after pod b's first scrape. */
const TIMES = [T0 + 1000, T0 + 1002.5, T0 + 1017.3, T0 + 1234.5, T0 + 2000, T0 + 3333];

describe('the forecast functions, against Prometheus 2.x on the same samples', () => {
  let prometheus: RunningPrometheus;
  let client: PrometheusClient;
  beforeAll(async () => {
    prometheus = await startPrometheus({ openMetrics: openMetrics() });
    client = new PrometheusClient({ url: prometheus.url });
  }, 60_000);
  afterAll(async () => {
    await prometheus?.stop();
  });

  async function answer(query: string, time: number): Promise<number | undefined> {
    const result = await client.query(query, { time });
    if (result.resultType !== 'vector') throw new Error(`${query}: ${result.resultType}`);
    return result.result[0]?.value;
  }

  function expectSame(ours: number | undefined, theirs: number | undefined, what: string) {
    expect(theirs, what).toBeDefined();
    expect(ours, what).toBeDefined();
    const scale = Math.max(1, Math.abs(theirs as number));
    expect(Math.abs((ours as number) - (theirs as number)) / scale, what).toBeLessThan(1e-9);
  }

  it('predict_linear, deriv and holt_winters over a range selector', async () => {
    for (const at of TIMES) {
      for (const [name, samples] of [
        ['forecast_gauge', gauge],
        ['forecast_jittered', jittered],
      ] as const) {
        const window = inRange(samples, at, 300);
        expectSame(
          predictLinear(window, at, 90),
          await answer(`predict_linear(${name}[5m], 90)`, at),
          `predict_linear ${name} at ${at}`,
        );
        expectSame(deriv(window), await answer(`deriv(${name}[5m])`, at), `deriv ${name} at ${at}`);
        expectSame(
          holtWinters(window, 0.3, 0.6),
          await answer(`holt_winters(${name}[5m], 0.3, 0.6)`, at),
          `holt_winters ${name} at ${at}`,
        );
      }
    }
  });

  it('rate() with its extrapolation, also over a series that starts in the window', async () => {
    for (const at of TIMES) {
      for (const [pod, samples] of Object.entries(pods)) {
        const theirs = await answer(`rate(${requests}{pod="${pod}"}[1m])`, at);
        const ours = extrapolatedRate(inRange(samples, at, 60), at, 60);
        if (theirs === undefined) expect(ours, `${pod} at ${at}`).toBeUndefined();
        else expectSame(ours, theirs, `rate ${pod} at ${at}`);
      }
    }
  });

  it('the three forecast queries mlscale writes, subqueries and offset included', async () => {
    const base: ForecastParameters = {
      method: 'linear',
      rateWindowSeconds: 60,
      rangeSeconds: 300,
      stepSeconds: 5,
      horizonSeconds: 50,
      smoothing: 0.4,
      trend: 0.3,
      periodSeconds: 600,
      perPodRps: 23.75,
    };
    const series = Object.values(pods);
    for (const method of ['linear', 'smoothed', 'seasonal'] as const) {
      const p = { ...base, method };
      const query = forecastQuery(p, '');
      for (const at of TIMES) {
        expectSame(forecastValue(p, series, at), await answer(query, at), `${query} at ${at}`);
      }
    }
  });
});
