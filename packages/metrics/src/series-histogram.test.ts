import { Counter, type OpenMetricsContentType, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CountsCounter, registerSeriesMetric, SeriesHistogram } from './series-histogram.js';

function setUp(registry: Registry<OpenMetricsContentType> | Registry) {
  const histogram = registerSeriesMetric(
    registry,
    new SeriesHistogram('job_seconds', 'Job time', ['job'], [0.1, 1]),
    SeriesHistogram.is,
  );
  const counter = registerSeriesMetric(
    registry,
    histogram.countsAsCounter('jobs_total', 'Jobs'),
    CountsCounter.is,
  );
  return { histogram, counter };
}

describe('SeriesHistogram', () => {
  it('renders exactly like a prom-client histogram, with a counter of its counts', async () => {
    const registry = new Registry();
    const { histogram } = setUp(registry);
    const a = histogram.series({ job: 'a' });
    a.observe(0.05);
    a.observe(0.1);
    a.observe(3);
    histogram.series({ job: 'b' }).observe(0.5);
    expect(await registry.metrics()).toBe(
      [
        '# HELP job_seconds Job time',
        '# TYPE job_seconds histogram',
        'job_seconds_bucket{le="0.1",job="a"} 2',
        'job_seconds_bucket{le="1",job="a"} 2',
        'job_seconds_bucket{le="+Inf",job="a"} 3',
        'job_seconds_sum{job="a"} 3.15',
        'job_seconds_count{job="a"} 3',
        'job_seconds_bucket{le="0.1",job="b"} 0',
        'job_seconds_bucket{le="1",job="b"} 1',
        'job_seconds_bucket{le="+Inf",job="b"} 1',
        'job_seconds_sum{job="b"} 0.5',
        'job_seconds_count{job="b"} 1',
        '',
        '# HELP jobs_total Jobs',
        '# TYPE jobs_total counter',
        'jobs_total{job="a"} 3',
        'jobs_total{job="b"} 1',
        '',
      ].join('\n'),
    );
  });

  it('renders OpenMetrics counters with their _total suffix', async () => {
    const registry = new Registry<OpenMetricsContentType>();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    setUp(registry).histogram.series({ job: 'a' }).observe(1);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE jobs counter\njobs_total{job="a"} 1\n');
    expect(await registry.metrics()).toBe(text);
  });

  it('hands back the same series and resets with the registry', async () => {
    const registry = new Registry();
    const { histogram } = setUp(registry);
    expect(histogram.series({ job: 'a' })).toBe(histogram.series({ job: 'a' }));
    histogram.series({ job: 'a' }).observe(0.2);
    registry.resetMetrics();
    expect(await registry.metrics()).toContain('job_seconds_count{job="a"} 0');
    expect(await registry.metrics()).toContain('jobs_total{job="a"} 0');
  });

  it('reuses its own metric on a second setup and refuses another metric of the name', () => {
    const registry = new Registry();
    const first = setUp(registry);
    expect(setUp(registry).histogram).toBe(first.histogram);
    const other = new Registry();
    new Counter({ name: 'job_seconds', help: 'clash', registers: [other] });
    expect(() => setUp(other)).toThrow(
      'metric job_seconds is already registered on this registry by other code',
    );
  });

  it('refuses buckets that are not distinct finite numbers', () => {
    expect(() => new SeriesHistogram('x', 'x', [], [1, 1])).toThrow(/distinct finite numbers/);
    expect(() => new SeriesHistogram('x', 'x', [], [])).toThrow(/distinct finite numbers/);
  });
});
