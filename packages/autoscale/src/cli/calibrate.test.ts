import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { closeFakePods, fakePod } from '../calibrate/fake-pod.fixture.js';
import type { CapacityProfile } from '../capacity/profile.js';
import { ExitCode } from './exit-codes.js';
import { runCli as run } from './run-cli.fixture.js';

afterEach(closeFakePods);

describe('mlscale calibrate', () => {
  it('refuses bad flags and URLs with exit code 2, before sending anything', async () => {
    const cases: [string[], RegExp][] = [
      [['calibrate', 'http://127.0.0.1:1', '--slo', 'p90=1ms'], /unknown statistic/],
      [['calibrate', 'http://127.0.0.1:1', '--step-rps', '0'], /--step-rps must be a number > 0/],
      [['calibrate', 'http://127.0.0.1:1', '--max-steps', '1.5'], /--max-steps must be a whole/],
      [['calibrate', 'http://127.0.0.1:1', '--arrivals', 'bursty'], /Allowed choices/],
      [['calibrate', 'localhost:8080'], /only http and https/],
      [['calibrate', 'http://127.0.0.1:1/predict'], /give the base URL only/],
      [
        ['calibrate', 'http://127.0.0.1:1', '-o', '/nonexistent/dir/p.json'],
        /-o, --out \/nonexistent\/dir\/p\.json: cannot write there: no such file or folder/,
      ],
      [['calibrate', 'http://127.0.0.1:1', '--body', '/nonexistent.json'], /file not found/],
    ];
    for (const [args, message] of cases) {
      const result = await run(args);
      expect(result.code, args.join(' ')).toBe(ExitCode.Usage);
      expect(result.err, args.join(' ')).toMatch(message);
    }
  });

  it('exits 5 when the pod cannot be reached', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlscale-cal-'));
    const result = await run(['calibrate', 'http://127.0.0.1:1', '-o', join(dir, 'p.json')]);
    expect(result.code).toBe(ExitCode.TargetUnreachable);
    expect(result.err).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1\/predict/);
  });

  it('writes the profile and the chart, and prints the rate that meets the objective', async () => {
    const url = await fakePod(20); // capacity 50 req/s
    const dir = mkdtempSync(join(tmpdir(), 'mlscale-cal-'));
    const out = join(dir, 'pod.json');
    const result = await run([
      'calibrate',
      url,
      '--start-rps',
      '20',
      '--step-rps',
      '80',
      '--step-seconds',
      '1.5',
      '--warmup-seconds',
      '0.5',
      '--refine-steps',
      '1',
      '--slo',
      'p95=200ms',
      '-o',
      out,
    ]);
    expect(result.code, result.err).toBe(0);
    const profile = JSON.parse(readFileSync(out, 'utf8')) as CapacityProfile;
    expect(profile.schema).toBe('mlscale.dev/capacity-profile/v1');
    // Two saturated steps in a row end the ramp; one more step halves the gap below the first.
    expect(profile.steps.map((s) => [s.offeredRps, s.saturated])).toEqual([
      [20, false],
      [60, true],
      [100, true],
      [180, true],
    ]);
    expect(profile.ramp.refineSteps).toBe(1);
    expect(existsSync(join(dir, 'pod.svg'))).toBe(true);
    expect(result.out).toMatch(/^offered\/s\s+achieved\/s/);
    expect(result.out).toContain('SLO p95=200ms: met up to 20 req/s');
    expect(result.out).toContain('saturated at 60 req/s offered');
    // Progress went to stderr while it ran.
    expect(result.err).toContain('step 1: 20 req/s');
  }, 30_000);
});
