import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ExitCode } from './exit-codes.js';
import { runCli } from './run-cli.fixture.js';

const guide = new URL('../../examples/guide-hpa.yaml', import.meta.url).pathname;
const profile = new URL('../../examples/capacity/emulated-pod.profile.json', import.meta.url)
  .pathname;
const load = new URL('../../examples/capacity/step-1x-4x.csv', import.meta.url).pathname;
const trace = new URL('../../examples/step-load.csv', import.meta.url).pathname;

afterEach(() => vi.restoreAllMocks());

describe('mlscale plan', () => {
  it('prints the HPA and the adapter rules, commented', async () => {
    const result = await runCli([
      'plan',
      '--profile',
      profile,
      '--slo',
      'p95=200ms',
      '--base-rate',
      '400',
      '--peak-rate',
      '1600',
    ]);
    expect(result.code).toBe(0);
    expect(result.out).toContain('# --- hpa.yaml');
    expect(result.out).toContain('# --- prometheus-adapter-values.yaml');
    expect(result.out).toMatch(/# 9\.249: Little's law/);
    expect(result.out).toContain('averageValue: 9249m');
    expect(result.out).toMatch(/raised to 4 so that a burst to 1600 req\/s is drained/);
    expect(result.out).toContain('minReplicas: 4');
  });

  it('takes --min-replicas as given, a whole number', async () => {
    const args = ['plan', '--profile', profile, '--slo', 'p95=200ms', '--peak-rate', '1600'];
    const given = await runCli([...args, '--min-replicas', '3']);
    expect(given.code).toBe(0);
    expect(given.out).toMatch(/# as given .*\n\s+minReplicas: 3/);
    const bad = await runCli([...args, '--min-replicas', '1.5']);
    expect(bad).toMatchObject({
      code: ExitCode.Usage,
      err: expect.stringContaining('--min-replicas must be a whole number >= 1, got "1.5"'),
    });
  });

  it("--gpu-share adds the pods' own GPU share, for the HPA only", async () => {
    const args = ['plan', '--profile', profile, '--slo', 'p95=200ms', '--gpu-share', '2'];
    const shared = await runCli(args);
    expect(shared.code).toBe(0);
    expect(shared.out).toContain('name: gpu_process_utilization_percent');
    expect(shared.out).toContain('averageValue: 40000m');
    const keda = await runCli([...args, '--keda']);
    expect(keda.code).toBe(ExitCode.Usage);
    expect(keda.err).toMatch(/--gpu-share writes an HPA metric/);
    expect((await runCli([...args.slice(0, -1), '0'])).code).toBe(ExitCode.Usage);
  });

  it('writes the files to a folder, or a KEDA ScaledObject', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlscale-plan-'));
    expect(
      (await runCli(['plan', '--profile', profile, '--slo', 'p95=200ms', '-o', dir])).code,
    ).toBe(0);
    expect(readFileSync(join(dir, 'hpa.yaml'), 'utf8')).toContain('kind: HorizontalPodAutoscaler');
    expect(existsSync(join(dir, 'prometheus-adapter-values.yaml'))).toBe(true);
    const keda = await runCli(['plan', '--profile', profile, '--slo', 'p99=500ms', '--keda']);
    expect(keda.out).toContain('kind: ScaledObject');
  });

  it('rejects a bad SLO, a bad profile and an SLO nothing meets with exit 2', async () => {
    const bad = await runCli(['plan', '--profile', profile, '--slo', 'p95<200']);
    expect(bad.code).toBe(ExitCode.Usage);
    expect(bad.err).toMatch(/expected <statistic>=<time>/);
    const dir = mkdtempSync(join(tmpdir(), 'mlscale-plan-'));
    const broken = join(dir, 'p.json');
    writeFileSync(broken, JSON.stringify({ schema: 'mlscale.dev/capacity-profile/v1', steps: [] }));
    const invalid = await runCli(['plan', '--profile', broken, '--slo', 'p95=200ms']);
    expect(invalid.code).toBe(ExitCode.Usage);
    expect(invalid.err).toContain(`invalid capacity profile:\n  ${broken}: measuredAt:`);
    const tight = await runCli(['plan', '--profile', profile, '--slo', 'p95=5ms']);
    expect(tight).toMatchObject({
      code: ExitCode.Usage,
      err: expect.stringMatching(/no measured rate meets p95=5ms/),
    });
  });
});

describe('mlscale simulate --profile', () => {
  it('simulates the step load for each HPA and writes the chart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlscale-sim-'));
    const svg = join(dir, 'sim.svg');
    const result = await runCli([
      'simulate',
      '--profile',
      profile,
      '--load',
      load,
      '--hpa',
      guide,
      '--svg',
      svg,
      '--timeline',
    ]);
    expect(result.code).toBe(0);
    expect(result.out).toContain('pod: 395 req/s at most');
    expect(result.out).toMatch(/^model-server-hpa \(guide-hpa\.yaml\)\s+\d+\s+\d+ s\s+30 s/m);
    expect(readFileSync(svg, 'utf8')).toContain('SLO p95=200ms');
  });

  it('validates its flags', async () => {
    expect((await runCli(['simulate', '--profile', profile, '--hpa', guide])).err).toMatch(
      /needs both --profile <json> and --load <csv>/,
    );
    const mixed = await runCli([
      'simulate',
      '--profile',
      profile,
      '--load',
      load,
      '--trace',
      trace,
      '--hpa',
      guide,
    ]);
    expect(mixed).toMatchObject({
      code: ExitCode.Usage,
      err: expect.stringMatching(/give one or the other/),
    });
    const step = await runCli([
      'simulate',
      '--profile',
      profile,
      '--load',
      load,
      '--hpa',
      guide,
      '--step-at',
      '9999',
    ]);
    expect(step).toMatchObject({
      code: ExitCode.Usage,
      err: '--step-at 9999 is outside the load trace (0 to 600 s)',
    });
  });
});

describe('mlscale simulate --sync-offset', () => {
  const args = ['simulate', '--profile', profile, '--load', load, '--hpa', guide, '--json'];
  const syncTimes = (out: string) =>
    (JSON.parse(out) as { results: { syncs: { time: number }[] }[] }).results[0]?.syncs.map(
      (s) => s.time,
    );

  it('puts the first sync at the offset, then one every period', async () => {
    const shifted = await runCli([...args, '--sync-offset', '3.25']);
    expect(shifted.code).toBe(0);
    expect(syncTimes(shifted.out)?.slice(0, 3)).toEqual([3.25, 18.25, 33.25]);
    const replay = await runCli(['simulate', '--trace', trace, '--hpa', guide, '--json']);
    const replayShifted = await runCli([
      ...['simulate', '--trace', trace, '--hpa', guide, '--json'],
      ...['--sync-offset', '7'],
    ]);
    const first = (out: string) =>
      (JSON.parse(out) as { results: { timeline: { time: number }[] }[] }).results[0]?.timeline[0]
        ?.time;
    expect(first(replay.out)).toBe(0);
    expect(first(replayShifted.out)).toBe(7);
  });

  it('refuses an offset outside the first period, and with --phases', async () => {
    expect(await runCli([...args, '--sync-offset', '15'])).toMatchObject({
      code: ExitCode.Usage,
      err: '--sync-offset 15 must be below --sync-period 15: the first sync falls within the first period',
    });
    expect(await runCli([...args, '--sync-offset', '-1'])).toMatchObject({
      code: ExitCode.Usage,
      err: expect.stringContaining('--sync-offset must be a number >= 0, got "-1"'),
    });
    expect(await runCli([...args, '--sync-offset', '2', '--phases'])).toMatchObject({
      code: ExitCode.Usage,
      err: expect.stringMatching(/--sync-offset picks one/),
    });
  });
});

describe('mlscale simulate --scrape-offset', () => {
  const args = ['simulate', '--profile', profile, '--load', load, '--hpa', guide, '--json'];
  const depthAt = (out: string, time: number) =>
    (
      JSON.parse(out) as { results: { syncs: { time: number; seen: Record<string, number> }[] }[] }
    ).results[0]?.syncs.find((s) => s.time === time)?.seen.request_queue_depth as number;

  it('makes the samples a sync reads older: 4 s with the scrapes 1 s into the trace', async () => {
    const fresh = await runCli(args);
    const older = await runCli([...args, '--scrape-offset', '1']);
    expect(older.code).toBe(0);
    expect((JSON.parse(older.out) as { scrapeOffsetSeconds: number }).scrapeOffsetSeconds).toBe(1);
    // The backlog grows steadily after the step at 60 s: a sample 4 s old misses 4/15 of a sync's growth.
    const growth = depthAt(fresh.out, 90) - depthAt(fresh.out, 75);
    expect(growth).toBeGreaterThan(1000);
    expect(depthAt(fresh.out, 90) - depthAt(older.out, 90)).toBeCloseTo((growth * 4) / 15, 3);
    const text = await runCli(args.filter((a) => a !== '--json').concat('--scrape-offset', '2.5'));
    expect(text.out).toContain('scrape every 5s (from 2.5s)');
  });

  it('refuses an offset outside the first interval, off the 0.25 s tick, and in a replay', async () => {
    expect(await runCli([...args, '--scrape-offset', '5'])).toMatchObject({
      code: ExitCode.Usage,
      err: '--scrape-offset 5 must be below --scrape-interval 5: the first scrape falls within the first interval',
    });
    expect(await runCli([...args, '--scrape-offset', '0.3'])).toMatchObject({
      code: ExitCode.Usage,
      err: expect.stringContaining('the scrape offset must be a multiple of 0.25 s (got 0.3)'),
    });
    expect(
      await runCli(['simulate', '--trace', trace, '--hpa', guide, '--scrape-offset', '1']),
    ).toMatchObject({
      code: ExitCode.Usage,
      err: expect.stringContaining('--scrape-offset apply to --profile simulations'),
    });
  });
});

describe('mlscale simulate --trace flag checks', () => {
  it('rejects an unknown chart metric and a step outside the trace', async () => {
    const metric = await runCli([
      'simulate',
      '--trace',
      trace,
      '--hpa',
      guide,
      '--chart-metric',
      'nope',
    ]);
    expect(metric.code).toBe(ExitCode.Usage);
    expect(metric.err).toMatch(
      /^--chart-metric "nope" is not in the trace \(metrics: http_request_duration_seconds_avg, /,
    );
    const step = await runCli(['simulate', '--trace', trace, '--hpa', guide, '--step-at', '9999']);
    expect(step).toMatchObject({
      code: ExitCode.Usage,
      err: '--step-at 9999 is outside the trace (0 to 580 s)',
    });
  });

  it('makes an unwritable --svg a usage error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlscale-sim-'));
    const file = join(dir, 'file');
    writeFileSync(file, '');
    const result = await runCli([
      'simulate',
      '--trace',
      trace,
      '--hpa',
      guide,
      '--svg',
      join(file, 'sim.svg'),
    ]);
    expect(result.code).toBe(ExitCode.Usage);
    expect(result.err).toMatch(
      /^--svg .*\/file\/sim\.svg: cannot write there: a part of the path is not a folder$/,
    );
  });
});
