import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { infraDir } from './helpers.js';

/** promtool: `PROMTOOL_BIN`, or `promtool` on PATH (Debian's `prometheus` package ships it). */
export const promtoolBin = process.env.PROMTOOL_BIN ?? 'promtool';

/** Why promtool cannot run, or undefined when it can. */
export function promtoolMissing(): string | undefined {
  const probe = spawnSync(promtoolBin, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    return `promtool not found (${promtoolBin}): apt-get install prometheus (Debian ships promtool in it), or set PROMTOOL_BIN`;
  }
  return undefined;
}

/** What a promtool run printed and how it exited. */
export interface PromtoolRun {
  readonly status: number | null;
  readonly output: string;
}

/** The folder of the promtool unit tests. */
export const alertTestsDir = join(infraDir, 'alerts/test');

/**
 * Writes the rule groups (a PrometheusRule's `spec`) as `rules.yaml` beside copies of the unit
 * test files, in a fresh temporary folder, and runs `promtool <args>` there.
 *
 * @param spec - `{ groups: [...] }`, the plain rule file promtool reads
 * @param args - e.g. `['check', 'rules', 'rules.yaml']`
 */
export function runPromtool(spec: unknown, args: readonly string[]): PromtoolRun {
  const dir = mkdtempSync(join(tmpdir(), 'mlscale-promtool-'));
  try {
    writeFileSync(join(dir, 'rules.yaml'), stringify(spec));
    for (const file of readdirSync(alertTestsDir)) {
      copyFileSync(join(alertTestsDir, file), join(dir, file));
    }
    const run = spawnSync(promtoolBin, [...args], { cwd: dir, encoding: 'utf8' });
    if (run.error) throw run.error;
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
