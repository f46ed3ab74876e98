import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PrometheusError } from '../prometheus/errors.js';
import { CliError, ExitCode } from './exit-codes.js';
import { exitCodeFor } from './program.js';
import { runCli } from './run-cli.fixture.js';

const guide = new URL('../../examples/guide-hpa.yaml', import.meta.url).pathname;

afterEach(() => vi.restoreAllMocks());

describe('mlscale CLI', () => {
  it('prints help for each command with exit code 0', async () => {
    for (const command of [[], ['simulate'], ['watch'], ['check']]) {
      const result = await runCli([...command, '--help']);
      expect(result.code).toBe(0);
      expect(result.out).toContain('Usage: mlscale');
    }
  });

  it('exits 2 on an unknown option and on a missing file', async () => {
    expect((await runCli(['simulate', '--nope'])).code).toBe(ExitCode.Usage);
    const missing = await runCli(['simulate', '--trace', '/nonexistent.csv', '--hpa', guide]);
    expect(missing).toMatchObject({ code: ExitCode.Usage });
    expect(missing.err).toContain('file not found: /nonexistent.csv');
  });

  it('simulates a trace and prints the table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlscale-cli-'));
    const trace = join(dir, 't.csv');
    const rows = ['time,replicas,load,request_queue_depth,each:inference_latency_seconds_avg'];
    for (let t = 0; t <= 600; t += 5)
      rows.push(`${t},2,${t >= 60 ? 40 : 1},${t >= 60 ? 20 : 0.2},0.01`);
    writeFileSync(trace, rows.join('\n'));
    const svg = join(dir, 'c.svg');
    const result = await runCli([
      'simulate',
      '--trace',
      trace,
      '--hpa',
      guide,
      '--svg',
      svg,
      '--timeline',
    ]);
    expect(result.code).toBe(0);
    expect(result.out).toContain('load step at t=60s');
    expect(result.out).toMatch(/model-server-hpa \(guide-hpa\.yaml\)\s+15 s/);
  });

  it('watch needs its files and valid flags, and says which (exit 2)', async () => {
    const project = new URL('../../examples/project/hpa.yaml', import.meta.url).pathname;
    const base = ['watch', '--prometheus', 'http://127.0.0.1:9'];
    const noHpa = await runCli(base);
    expect(noHpa.code).toBe(ExitCode.Usage);
    expect(noHpa.err).toContain("required option '--hpa <file>' not specified");
    const noValues = await runCli([...base, '--hpa', project]);
    expect(noValues).toMatchObject({ code: ExitCode.Usage });
    expect(noValues.err).toContain(
      'give the prometheus-adapter values that serve them (--adapter-values <file>)',
    );
    for (const [flags, message] of [
      [['--prometheus', 'localhost:9090'], '--prometheus must be an http:// or https:// URL'],
      [['--count', '1.5'], '--count must be a whole number >= 1'],
      [['--sync-period', 'soon'], '--sync-period must be a number >= 0.1'],
      [['--namespace', 'Prod'], '--namespace must be a Kubernetes namespace'],
      [['--replicas', '-1'], '--replicas must be "pods", "follow" or a whole number >= 0'],
    ] as const) {
      const result = await runCli([...base, '--hpa', guide, ...flags]);
      expect(result.code, flags.join(' ')).toBe(ExitCode.Usage);
      expect(result.err).toContain(message);
    }
  });

  it('simulate without --hpa names the example that ships with the package', async () => {
    const trace = new URL('../../examples/step-load.csv', import.meta.url).pathname;
    const result = await runCli(['simulate', '--trace', trace]);
    expect(result.code).toBe(ExitCode.Usage);
    expect(result.err).toMatch(
      /--hpa <file> is required \(an example ships with this package: --hpa \S+examples\/guide-hpa\.yaml\)/,
    );
  });

  it('simulate --profile without --hpa names the example that ships with the package, once', async () => {
    const profile = new URL('../../examples/capacity/emulated-pod.profile.json', import.meta.url)
      .pathname;
    const load = new URL('../../examples/capacity/step-1x-4x.csv', import.meta.url).pathname;
    const result = await runCli(['simulate', '--profile', profile, '--load', load]);
    expect(result.code).toBe(ExitCode.Usage);
    expect(result.err).toMatch(
      /--hpa <file> is required \(an example ships with this package: --hpa \S+examples\/guide-hpa\.yaml\)/,
    );
    expect(result.err).not.toContain('infra/');
  });

  it('calls file system errors on a path the user gave usage errors', () => {
    const error = Object.assign(new Error("EACCES: permission denied, open '/x.svg'"), {
      code: 'EACCES',
      path: '/x.svg',
      syscall: 'open',
    });
    expect(exitCodeFor(error)).toEqual({
      code: ExitCode.Usage,
      message: 'cannot write or open /x.svg: permission denied',
    });
  });

  it('maps Prometheus errors to exit codes 3 and 4', () => {
    expect(exitCodeFor(new PrometheusError('unreachable', 'x', { url: 'u' })).code).toBe(3);
    expect(exitCodeFor(new PrometheusError('timeout', 'x', { url: 'u' })).code).toBe(3);
    expect(exitCodeFor(new PrometheusError('bad_query', 'x', { url: 'u' })).code).toBe(4);
    expect(exitCodeFor(new CliError('x', 1)).code).toBe(1);
    expect(exitCodeFor(new Error('boom'))).toEqual({
      code: 70,
      message: 'internal error: boom (please report this)',
    });
  });
});
