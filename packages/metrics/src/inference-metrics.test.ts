import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { inferenceMetrics } from './inference-metrics.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('inferenceMetrics', () => {
  it("uses the guide's name, and buckets from 100 µs to 10 s that keep the guide's", async () => {
    const registry = new Registry();
    inferenceMetrics({ registry }).observe(0.03);
    const text = await registry.metrics();
    const buckets = [...text.matchAll(/le="([^"]+)"/g)].map((match) => match[1]);
    expect(buckets).toEqual([
      '0.0001',
      '0.00025',
      '0.0005',
      '0.001',
      '0.0025',
      '0.005',
      '0.01',
      '0.025',
      '0.05',
      '0.1',
      '0.25',
      '0.5',
      '1',
      '2.5',
      '5',
      '10',
      '+Inf',
    ]);
    const guide = ['0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5'];
    expect(buckets).toEqual(expect.arrayContaining(guide));
    expect(text).toContain('inference_latency_seconds_bucket{le="0.025"} 0');
    expect(text).toContain('inference_latency_seconds_bucket{le="0.05"} 1');
    expect(text).toContain('inference_latency_seconds_count 1');
  });

  it('times a call, also when it throws, and passes its result through', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const registry = new Registry();
    const inference = inferenceMetrics({ registry });
    const result = await inference.time(() => {
      vi.advanceTimersByTime(40);
      return 'out';
    });
    expect(result).toBe('out');
    await expect(
      inference.time(async () => {
        vi.advanceTimersByTime(300);
        throw new Error('model failed');
      }),
    ).rejects.toThrow('model failed');
    const text = await registry.metrics();
    expect(text).toMatch(/inference_latency_seconds_sum 0\.3(4|39999)/);
    expect(text).toContain('inference_latency_seconds_count 2');
  });

  it('startTimer returns the seconds it recorded', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const inference = inferenceMetrics({ registry: new Registry() });
    const stop = inference.startTimer();
    vi.advanceTimersByTime(125);
    expect(stop()).toBeCloseTo(0.125, 9);
  });

  it('resolves a sub-millisecond model: 0.2 ms and 0.4 ms land in different buckets', async () => {
    const registry = new Registry();
    const inference = inferenceMetrics({ registry });
    inference.observe(0.0002);
    inference.observe(0.0004);
    const text = await registry.metrics();
    expect(text).toContain('inference_latency_seconds_bucket{le="0.0001"} 0');
    expect(text).toContain('inference_latency_seconds_bucket{le="0.00025"} 1');
    expect(text).toContain('inference_latency_seconds_bucket{le="0.0005"} 2');
  });

  it('prefixes its name, and refuses a prefix that makes an invalid name', async () => {
    const registry = new Registry();
    inferenceMetrics({ registry, prefix: 'myapp_' }).observe(0.2);
    expect(await registry.metrics()).toContain('myapp_inference_latency_seconds_count 1');
    expect(() => inferenceMetrics({ registry, prefix: '1x-' })).toThrow(/invalid metric names/);
  });

  it('ignores values that are not a duration', async () => {
    const registry = new Registry();
    const inference = inferenceMetrics({ registry, constLabels: { model: 'm' } });
    inference.observe(Number.NaN);
    inference.observe(-1);
    inference.observe(Number.POSITIVE_INFINITY);
    inference.observe(0.2);
    expect(await registry.metrics()).toContain('inference_latency_seconds_count{model="m"} 1');
  });
});
