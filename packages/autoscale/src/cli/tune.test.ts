import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.fixture.js';

const profile = fileURLToPath(
  new URL('../../examples/capacity/e2e-pod.profile.json', import.meta.url),
);
const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** Ten minutes: 40 req/s, a ramp to 120 over three minutes, a plateau, back down. */
function smallLoad(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlscale-tune-'));
  const rows = ['time,rps'];
  for (let t = 0; t <= 600; t += 10) {
    const rps = t < 120 ? 40 : t < 300 ? 40 + ((t - 120) / 180) * 80 : t < 480 ? 120 : 50;
    rows.push(`${t},${rps}`);
  }
  const path = join(dir, 'load.csv');
  writeFileSync(path, `${rows.join('\n')}\n`);
  return path;
}

interface TuneJson {
  budgetSeconds: number;
  chosen: string | null;
  tried: {
    name: string;
    sloViolationSeconds: number;
    replicaSeconds: number;
    candidate: unknown;
  }[];
}

describe('mlscale tune', () => {
  const load = smallLoad();
  const args = ['tune', '--profile', profile, '--load', load, '--startup-delay', '12'];

  it('chooses the cheapest configuration within the budget and writes it with its reasons', async () => {
    const out = mkdtempSync(join(tmpdir(), 'mlscale-tuned-'));
    const run = await runCli([...args, '--budget', '2%', '-o', out]);
    expect(run.err).toMatch(/tune: \d+\/\d+ simulations/);
    expect(run.code).toBe(0);
    expect(run.out).toContain('budget: 2 % of 600 s = 12 s over p95=200ms');
    expect(run.out).toMatch(/^the guide's HPA +\d+/m);
    expect(run.out).toContain(
      "plan --base-rate 40 --peak-rate 120 (the trace's lowest minute and highest bin)",
    );
    expect(run.out).toMatch(
      /^tuned: headroom \d+%, min \d+, down-window \d+s(, up \d pods?\/sync)?(, forecast \w+)? {2}← chosen/m,
    );
    const hpa = readFileSync(join(out, 'hpa.yaml'), 'utf8');
    expect(hpa).toMatch(/^# mlscale tune: least replica-seconds with at most 2 % of the seconds/);
    expect(hpa).toMatch(/# chosen by mlscale tune: [^\n]*\n\s*minReplicas: \d+\n/);
    expect(readFileSync(join(out, 'tune.svg'), 'utf8')).toMatch(/^<svg/);

    const json = JSON.parse((await runCli([...args, '--budget', '2%', '--json'])).out) as TuneJson;
    const within = json.tried.filter((t) => t.sloViolationSeconds <= 12);
    const chosen = json.tried.find((t) => t.name === json.chosen);
    expect(chosen?.sloViolationSeconds).toBeLessThanOrEqual(json.budgetSeconds);
    expect(chosen?.replicaSeconds).toBe(Math.min(...within.map((t) => t.replicaSeconds)));
  }, 120_000);

  it('simulates the same in worker threads as in one thread (the built command)', async () => {
    const inProcess = JSON.parse((await runCli([...args, '--json'])).out) as TuneJson;
    const built = spawnSync(process.execPath, [cli, ...args, '--json', '--workers', '2'], {
      encoding: 'utf8',
    });
    expect(built.stderr).toMatch(/2 worker threads/);
    expect(built.status).toBe(0);
    const threaded = JSON.parse(built.stdout) as TuneJson;
    expect(threaded.tried).toEqual(inProcess.tried);
  }, 120_000);

  it('names the plan it compares with by the rates it was sized from, a quiet one unrounded', async () => {
    const quiet = await runCli([...args, '--rate-scale', '0.0375', '--from', '0', '--to', '600']);
    expect(quiet.code).toBe(0);
    expect(quiet.out).toContain(
      "plan --base-rate 1.5 --peak-rate 4.5 (the window's lowest minute and highest bin)",
    );
  }, 120_000);

  it('refuses a budget or a window that does not make sense', async () => {
    expect(await runCli([...args, '--budget', '150%'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('--budget must be a share'),
    });
    expect(await runCli([...args, '--train', '30m-10m'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('--train: 30m-10m ends before it starts'),
    });
    expect(await runCli([...args, '--train', '0-5m', '--from', '1m'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('give --train/--test or --from/--to, not both'),
    });
  });
});
