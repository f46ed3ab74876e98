/** What `simulate` says to a user: the rule that is missing from the values they gave, counts in words. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ExitCode } from './exit-codes.js';
import { runCli } from './run-cli.fixture.js';

const examples = new URL('../../examples/', import.meta.url).pathname;
const profile = join(examples, 'capacity/emulated-pod.profile.json');
const load = join(examples, 'capacity/step-1x-4x.csv');
const project = join(examples, 'project/hpa.yaml');
const dir = mkdtempSync(join(tmpdir(), 'mlscale-messages-'));

afterEach(() => vi.restoreAllMocks());

describe('simulate --profile with --adapter-values that lack the HPA metric', () => {
  it('names the file and the missing metric, and does not tell the user to pass the flag they passed', async () => {
    const values = join(dir, 'values.yaml');
    // The project's values with the depth rule renamed: the HPA's request_queue_depth_avg is unserved.
    writeFileSync(
      values,
      readFileSync(join(examples, 'project/prometheus-adapter-values.yaml'), 'utf8').replace(
        'as: "request_queue_depth_avg"',
        'as: "request_queue_depth_avg15s"',
      ),
    );
    const result = await runCli([
      'simulate',
      '--profile',
      profile,
      '--load',
      load,
      '--hpa',
      project,
      '--adapter-values',
      values,
    ]);
    expect(result.code).toBe(ExitCode.Usage);
    expect(result.err).toContain(
      `the HPA scales on "request_queue_depth_avg", but no rules.custom or rules.external rule in ${values} serves it`,
    );
    expect(result.err).toContain('did you mean request_queue_depth_avg15s?');
    expect(result.err).not.toContain('pass --adapter-values');
  });
});

describe('counts', () => {
  it('says "1 scale event" in the chart legend', async () => {
    const svg = join(dir, 'one.svg');
    const trace = join(dir, 'one.csv');
    // One rise that the guide's HPA answers with a single scale-up and never a scale-down.
    const rows = ['time,replicas,load,request_queue_depth,each:inference_latency_seconds_avg'];
    for (let t = 0; t <= 120; t += 5)
      rows.push(`${t},2,${t >= 30 ? 50 : 1},${t >= 30 ? 12 : 0.5},0.005`);
    writeFileSync(trace, rows.join('\n'));
    const result = await runCli([
      'simulate',
      '--trace',
      trace,
      '--hpa',
      join(examples, 'guide-hpa.yaml'),
      '--svg',
      svg,
    ]);
    expect(result.code, result.err).toBe(0);
    const text = readFileSync(svg, 'utf8');
    expect(text).toMatch(/>1 scale event,/);
    expect(text).not.toMatch(/>1 scale events/);
  });
});

describe('examples/README.md', () => {
  it('runs mlscale with npx: a local install puts no mlscale on PATH', () => {
    const text = readFileSync(join(examples, 'README.md'), 'utf8');
    const commands = [...text.matchAll(/^```sh\n([\s\S]*?)^```$/gm)]
      .flatMap((m) => (m[1] ?? '').split('\n'))
      .filter((line) => /^(\S+ )?mlscale /.test(line));
    expect(commands.length).toBeGreaterThan(0);
    for (const line of commands) expect(line).toMatch(/^npx mlscale /);
  });
});
