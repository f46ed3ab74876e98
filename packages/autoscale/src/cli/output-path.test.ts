/**
 * Output paths are checked before any work: a user's mistake is exit 2 with the flag and the
 * reason, never an internal error, a hang, or a failure after the work.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ExitCode } from './exit-codes.js';
import { checkOutputFile, checkOutputFolder, makeOutputFolder } from './output-path.js';
import { runCli } from './run-cli.fixture.js';

const examples = new URL('../../examples/', import.meta.url).pathname;
const profile = join(examples, 'capacity/emulated-pod.profile.json');
const guide = join(examples, 'guide-hpa.yaml');
const project = join(examples, 'project');

afterEach(() => vi.restoreAllMocks());

function workdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlscale-out-'));
  writeFileSync(join(dir, 'existing'), 'keep me\n');
  mkdirSync(join(dir, 'folder'));
  return dir;
}

describe('output paths', () => {
  it('plan -o on an existing file is exit 2, not an internal error', async () => {
    const dir = workdir();
    const result = await runCli([
      'plan',
      '--profile',
      profile,
      '--slo',
      'p95=200ms',
      '-o',
      join(dir, 'existing'),
    ]);
    expect(result.code).toBe(ExitCode.Usage);
    expect(result.err).toContain(
      `-o, --out-dir ${join(dir, 'existing')}: it is a file, not a folder`,
    );
    expect(result.err).not.toContain('internal error');
  });

  it('plan -o under /proc is exit 2 at once (mkdir -p never returns there)', async () => {
    const result = await runCli([
      'plan',
      '--profile',
      profile,
      '--slo',
      'p95=200ms',
      '-o',
      '/proc/mlscale-plan/x',
    ]);
    expect(result.code).toBe(ExitCode.Usage);
    expect(result.err).toMatch(/-o, --out-dir \/proc\/mlscale-plan\/x: cannot write there/);
  }, 10_000);

  it('plan -o creates the folders it needs, and leaves nothing behind when it checks', async () => {
    const dir = workdir();
    const out = join(dir, 'a', 'b');
    checkOutputFolder(out, '-o', ['hpa.yaml']);
    expect(existsSync(join(dir, 'a'))).toBe(false);
    const result = await runCli(['plan', '--profile', profile, '--slo', 'p95=200ms', '-o', out]);
    expect(result.code).toBe(0);
    expect(existsSync(join(out, 'hpa.yaml'))).toBe(true);
  });

  it('calibrate -o on a folder is exit 2 before it sends anything', async () => {
    const dir = workdir();
    // An unreachable pod would be exit 5: the path is refused first.
    const result = await runCli(['calibrate', 'http://127.0.0.1:1', '-o', join(dir, 'folder')]);
    expect(result.code).toBe(ExitCode.Usage);
    expect(result.err).toContain(`-o, --out ${join(dir, 'folder')}: it is a folder`);
    const svg = await runCli([
      'calibrate',
      'http://127.0.0.1:1',
      '--svg',
      join(dir, 'nope', 'c.svg'),
    ]);
    expect(svg.code).toBe(ExitCode.Usage);
    expect(svg.err).toContain('cannot write there: no such file or folder');
  });

  it('simulate --svg and watch --record are checked before the work', async () => {
    const dir = workdir();
    const simulate = await runCli([
      'simulate',
      '--trace',
      join(examples, 'step-load.csv'),
      '--hpa',
      guide,
      '--svg',
      join(dir, 'folder'),
    ]);
    expect(simulate.code).toBe(ExitCode.Usage);
    expect(simulate.out).toBe('');
    // An unreachable Prometheus would be exit 3: the path is refused first.
    const watch = await runCli([
      'watch',
      '--prometheus',
      'http://127.0.0.1:1',
      '--hpa',
      join(project, 'hpa.yaml'),
      '--adapter-values',
      join(project, 'prometheus-adapter-values.yaml'),
      '--count',
      '1',
      '--record',
      join(dir, 'folder'),
    ]);
    expect(watch.code).toBe(ExitCode.Usage);
    expect(watch.err).toContain('--record');
  });

  it('leaves an existing file as it was, and no new file behind', () => {
    const dir = workdir();
    checkOutputFile(join(dir, 'existing'), '--svg');
    checkOutputFile(join(dir, 'new.svg'), '--svg');
    expect(existsSync(join(dir, 'new.svg'))).toBe(false);
    makeOutputFolder(join(dir, 'x', 'y'), '-o');
    expect(existsSync(join(dir, 'x', 'y'))).toBe(true);
  });
});
