import { describe, expect, it } from 'vitest';
import { arrivalTimes, rateFromTrace, seededRandom } from './arrivals.js';
import { percentile, summarizeLatency } from './latency.js';

describe('arrival schedules', () => {
  it('spaces a constant rate evenly, and nothing at or after the end', () => {
    expect([...arrivalTimes(() => 4, 1)]).toEqual([0, 0.25, 0.5, 0.75]);
  });

  it('follows a rate trace, waiting through zero-rate stretches', () => {
    const rate = rateFromTrace([
      { atSeconds: 0, rps: 2 },
      { atSeconds: 1, rps: 0 },
      { atSeconds: 2, rps: 10 },
    ]);
    expect(rate(-1)).toBe(0);
    expect(rate(1.5)).toBe(0);
    expect(rate(2)).toBe(10);
    const times = [...arrivalTimes(rate, 3)];
    expect(times.slice(0, 2)).toEqual([0, 0.5]);
    expect(times.filter((t) => t >= 1 && t < 2)).toEqual([]);
    expect(times.filter((t) => t >= 2)).toHaveLength(10);
  });

  it('refuses a trace whose times do not increase or whose rate is negative', () => {
    expect(() =>
      rateFromTrace([
        { atSeconds: 1, rps: 1 },
        { atSeconds: 1, rps: 2 },
      ]),
    ).toThrow(/times must increase/);
    expect(() => rateFromTrace([{ atSeconds: 0, rps: -1 }])).toThrow(/rate ≥ 0/);
  });

  it('draws Poisson arrivals at the asked mean rate, the same ones for the same seed', () => {
    const a = [...arrivalTimes(() => 200, 50, 'poisson', seededRandom(7))];
    const b = [...arrivalTimes(() => 200, 50, 'poisson', seededRandom(7))];
    expect(a).toEqual(b);
    // 10 000 expected; the standard deviation of a Poisson count is 100.
    expect(a.length).toBeGreaterThan(9600);
    expect(a.length).toBeLessThan(10400);
    const gaps = a.slice(1).map((t, i) => t - (a[i] as number));
    // Exponential gaps: the coefficient of variation is 1 (uniform spacing would give 0).
    const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((s, g) => s + (g - mean) ** 2, 0) / gaps.length);
    expect(sd / mean).toBeGreaterThan(0.9);
    expect(sd / mean).toBeLessThan(1.1);
  });
});

describe('latency summaries', () => {
  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(summarizeLatency(values)).toEqual({ p50: 50, p95: 95, p99: 99, mean: 50.5, max: 100 });
    expect(percentile([3, 1, 2].sort(), 0.5)).toBe(2);
    expect(summarizeLatency([]).p95).toBeNaN();
  });
});
