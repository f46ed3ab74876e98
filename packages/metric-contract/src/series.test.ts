import { describe, expect, it } from 'vitest';
import { HISTOGRAM_SUFFIXES, SERIES, type SeriesDefinition, seriesOfSample } from './series.js';

const all = Object.values(SERIES) as SeriesDefinition[];

describe('SERIES', () => {
  it('names each series once, with a valid Prometheus metric name', () => {
    const names = all.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
  });

  it('gives buckets to histograms only, ascending and finite', () => {
    for (const series of all) {
      if (series.type !== 'histogram') {
        expect(series.buckets, series.name).toBeUndefined();
        continue;
      }
      const buckets = series.buckets ?? [];
      expect(buckets.length, series.name).toBeGreaterThan(0);
      expect(
        [...buckets].sort((a, b) => a - b),
        series.name,
      ).toEqual(buckets);
      expect(buckets.every(Number.isFinite), series.name).toBe(true);
    }
  });

  it("follows Prometheus' naming: counters end in _total, a unit in seconds ends the name", () => {
    for (const series of all) {
      if (series.type === 'counter') expect(series.name, series.name).toMatch(/_total$/);
      if (series.unit === 'seconds') expect(series.name, series.name).toMatch(/_seconds(_total)?$/);
    }
  });

  it("keeps the reference guide's names and buckets (0.01 … 5) exactly", () => {
    expect(SERIES.inferenceLatency.name).toBe('inference_latency_seconds');
    expect(SERIES.queueDepth.name).toBe('request_queue_depth');
    expect(SERIES.gpuUtilization.name).toBe('gpu_utilization_percent');
    for (const bound of [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]) {
      expect(SERIES.inferenceLatency.buckets).toContain(bound);
    }
  });
});

describe('seriesOfSample', () => {
  it("finds a series from its own name or a histogram's stored names", () => {
    expect(seriesOfSample('request_queue_depth')).toBe(SERIES.queueDepth);
    for (const suffix of HISTOGRAM_SUFFIXES) {
      expect(seriesOfSample(`request_queue_wait_seconds${suffix}`)).toBe(SERIES.queueWait);
    }
  });

  it('reads a prefix in front of the name', () => {
    expect(seriesOfSample('myapp_http_requests_total', 'myapp_')).toBe(SERIES.httpRequests);
    expect(seriesOfSample('http_requests_total', 'myapp_')).toBeUndefined();
  });

  it("gives nothing for a name outside the contract or a counter's made-up suffix", () => {
    expect(seriesOfSample('container_cpu_usage_seconds_total')).toBeUndefined();
    expect(seriesOfSample('request_queue_depth_sum')).toBeUndefined();
  });
});

describe('FORECAST_METRICS', () => {
  it('names each forecast once, apart from every series, as the adapter can serve it', async () => {
    const { FORECAST_METRICS } = await import('./forecast.js');
    const names = Object.values(FORECAST_METRICS).map((f) => f.name);
    expect(new Set([...names, ...all.map((s) => s.name)]).size).toBe(names.length + all.length);
    for (const name of names) expect(name).toMatch(/^[a-z_]+_forecast_pods$/);
  });
});
