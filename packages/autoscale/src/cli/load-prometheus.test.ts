// `--load <Prometheus URL>` against a real Prometheus (Debian's, started by @mlscale/testkit) that
// holds known samples, written into its TSDB with promtool before it starts: no mock.
import { fileURLToPath } from 'node:url';
import { freePort, type RunningPrometheus, startPrometheus } from '@mlscale/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLoadFlags, readLoadSource } from './load-args.js';
import { runCli } from './run-cli.fixture.js';

const examples = fileURLToPath(new URL('../../examples', import.meta.url));
/** 2026-01-01T00:00:00Z: the samples lie in one two-hour TSDB block. */
const T0 = 1_767_225_600;

/**
 * Two pods' `http_requests_total`, scraped every 5 s for an hour: pod a answers 10 req/s
 * throughout, pod b 10 req/s for 30 minutes and 40 req/s after.
 */
function counters(): string {
  const lines = ['# HELP http_requests_total requests', '# TYPE http_requests_total counter'];
  for (const pod of ['a', 'b']) {
    let count = 0;
    for (let i = 0; i <= 720; i++) {
      lines.push(`http_requests_total{namespace="default",pod="${pod}"} ${count} ${T0 + i * 5}`);
      count += 5 * (pod === 'b' && i >= 360 ? 40 : 10);
    }
  }
  return `${lines.join('\n')}\n# EOF\n`;
}

describe('--load from a Prometheus range query', () => {
  let prometheus: RunningPrometheus;
  beforeAll(async () => {
    prometheus = await startPrometheus({ openMetrics: counters() });
  }, 60_000);
  afterAll(async () => {
    await prometheus?.stop();
  });

  it('reads the summed rate as a rate trace, one point per --bin, held until the next', async () => {
    const flags = {
      load: prometheus.url,
      loadStart: T0 + 600,
      loadEnd: T0 + 3000,
      bin: 10,
    };
    const read = readLoadFlags(flags, {}, await readLoadSource(flags));
    const { points } = read.load;
    expect(points[0]).toEqual({ time: 0, rps: 20 });
    // the step at 30 min (1200 s into the range) enters the 1m rate over a minute
    expect(points.find((p) => p.time === 1190)?.rps).toBeCloseTo(20, 9);
    expect(points.find((p) => p.time === 1270)?.rps).toBeCloseTo(50, 9);
    expect(points.find((p) => p.time === 1230)?.rps).toBeCloseTo(35, 9);
    expect(points.at(-1)).toEqual({ time: 2410, rps: 50 });
    expect(points).toHaveLength(242);
    expect(read.description).toBe(
      `Prometheus, the range query sum(rate(http_requests_total[1m])) at ${prometheus.url}, 2026-01-01T00:10:00Z to 2026-01-01T00:50:00Z every 10 s (241 samples), each step's rate held until the next`,
    );
  });

  it('applies --rate-scale and --from/--to as to any rate trace, and simulate plays it', async () => {
    const result = await runCli([
      'simulate',
      '--profile',
      `${examples}/capacity/e2e-pod.profile.json`,
      '--hpa',
      `${examples}/guide-hpa.yaml`,
      '--load',
      prometheus.url,
      '--load-query',
      'sum(rate(http_requests_total{namespace="default"}[1m]))',
      '--load-start',
      '2026-01-01T00:10:00Z',
      '--load-end',
      String(T0 + 3000),
      '--from',
      '15m',
      '--to',
      '25m',
      '--rate-scale',
      '2',
    ]);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toContain(
      'load: Prometheus, the range query sum(rate(http_requests_total{namespace="default"}[1m]))',
    );
    expect(result.out).toContain(
      "(241 samples), each step's rate held until the next; window 900 s to 1500 s of the trace, rates ×2",
    );
    // 40 req/s, then 100 from the step on: the clairvoyant bound needs the pods for both
    expect(result.out).toMatch(/clairvoyant bound: \d+ replica-seconds/);
  });

  it('an empty answer, several series and a bad query are usage errors that say what to do', async () => {
    const base = [
      'simulate',
      '--profile',
      `${examples}/capacity/e2e-pod.profile.json`,
      '--load',
      prometheus.url,
      '--load-start',
      String(T0),
      '--load-end',
      String(T0 + 600),
    ];
    const empty = await runCli([...base, '--load-query', 'sum(rate(http_request_total[1m]))']);
    expect(empty.code).toBe(2);
    expect(empty.err).toContain('returned no samples: check the metric');
    const several = await runCli([...base, '--load-query', 'rate(http_requests_total[1m])']);
    expect(several.code).toBe(2);
    expect(several.err).toContain('returned 2 series');
    expect(several.err).toContain('wrap the query in sum(...)');
    const bad = await runCli([...base, '--load-query', 'sum(rate(http_requests_total[1m]']);
    expect(bad.code).toBe(4);
    const noStart = await runCli([...base.slice(0, 5), '--load-end', String(T0 + 600)]);
    expect(noStart.code).toBe(2);
    expect(noStart.err).toContain('give --load-start');
  });

  it('an unreachable Prometheus is exit 3, naming the URL', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const result = await runCli([
      'tune',
      '--profile',
      `${examples}/capacity/e2e-pod.profile.json`,
      '--load',
      url,
      '--load-start',
      '-1h',
    ]);
    expect(result.code).toBe(3);
    expect(result.err).toContain('127.0.0.1');
  });
});
