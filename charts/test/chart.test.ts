// helm lint and helm template of the chart with its defaults and with every documented values
// example, and `mlscale check` on what each renders, with the prometheus-adapter values the chart
// renders from the same values: no broken link.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  chartDir,
  examples,
  helm,
  mlscaleCli,
  only,
  parseDocs,
  repoDir,
  runCommand,
  template,
} from './helm.js';

const valueSets = [
  ['defaults', []],
  ...examples().map((file) => [file, ['-f', join(chartDir, 'examples', file)]] as const),
] as const;

describe('the documented values examples', () => {
  it('each example is documented in the chart README, and the README names no other', () => {
    const readme = readFileSync(join(chartDir, 'README.md'), 'utf8');
    const named = [...readme.matchAll(/examples\/([\w-]+\.yaml)/g)].map((m) => m[1]);
    expect([...new Set(named)].sort()).toEqual(examples());
  });
});

/** Leaf paths of values.yaml (an object or list value is a leaf only where it is empty or a list). */
function leafPaths(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return [prefix];
  return entries.flatMap(([key, child]) => leafPaths(child, prefix ? `${prefix}.${key}` : key));
}

/** The keys the README's values table documents: `a.b`, `.c` (beside `a.b`: `a.c`), `a.*`. */
function documentedKeys(readme: string): string[] {
  const table = readme.slice(
    readme.indexOf('## Values'),
    readme.indexOf('## The chart and infra/'),
  );
  return table.split('\n').flatMap((line) => {
    const cell = /^\| (`[^|]+`) +\|/.exec(line)?.[1];
    if (!cell) return [];
    const keys = [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
    const first = keys[0] ?? '';
    const parent = first.includes('.') ? first.slice(0, first.lastIndexOf('.')) : '';
    return keys.map((key) => (key.startsWith('.') ? `${parent}${key}` : key));
  });
}

describe('the chart README', () => {
  it('documents every value of values.yaml', () => {
    const readme = readFileSync(join(chartDir, 'README.md'), 'utf8');
    const documented = documentedKeys(readme);
    const values = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8'));
    const undocumented = leafPaths(values).filter(
      (path) =>
        !documented.some((key) => key === path || path.startsWith(`${key.replace(/\.\*$/, '')}.`)),
    );
    expect(undocumented).toEqual([]);
  });
});

describe.each(valueSets)('the chart with %s', (_name, args) => {
  it('passes helm lint --strict', async () => {
    const ran = await helm(['lint', '--strict', chartDir, ...args]);
    expect(ran.code, ran.stdout + ran.stderr).toBe(0);
    expect(ran.stdout).toContain('0 chart(s) failed');
  });

  it('renders, and mlscale check finds no broken link with the adapter values it renders', async () => {
    const rendered = await template(args);
    const manifests = parseDocs(rendered);
    const kinds = manifests.map((doc) => doc.kind);
    expect(kinds).toContain('Deployment');
    expect(kinds).toContain('Service');
    const adapterValues = await template([...args, '--set', 'output=prometheus-adapter-values']);
    const dir = mkdtempSync(join(tmpdir(), 'chart-check-'));
    try {
      const valuesFile = join(dir, 'prometheus-adapter-values.yaml');
      writeFileSync(valuesFile, adapterValues);
      const gpu = only(manifests, 'Deployment').spec.template.spec.containers[0].env.some(
        (e: { name: string; value?: string }) => e.name === 'GPU_PROBE' && e.value === 'on',
      );
      // Expositions recorded from the live server (infra/test/fixtures, kept current by infra's tests).
      const metricsFile = join(repoDir, `infra/test/fixtures/metrics-${gpu ? 'gpu' : 'cpu'}.txt`);
      const ran = await runCommand(
        process.execPath,
        [
          mlscaleCli(),
          'check',
          '-',
          valuesFile,
          join(repoDir, 'infra/helm/kube-prometheus-stack-values.yaml'),
          '--metrics-file',
          metricsFile,
          '--json',
        ],
        { input: rendered },
      );
      expect(ran.stderr).toBe('');
      const report = JSON.parse(ran.stdout) as {
        links: { status: string; link: string; subject: string; detail?: string }[];
      };
      const broken = report.links.filter((link) => link.status === 'broken');
      expect(broken, ran.stdout).toEqual([]);
      expect(ran.code).toBe(0);
      // The autoscaler's every metric was checked against a rule (not skipped).
      const autoscaled = report.links.filter(
        (link) =>
          /^(HorizontalPodAutoscaler|ScaledObject)\//.test(link.subject) && link.status === 'ok',
      );
      const engine = kinds.includes('ScaledObject') ? 'keda' : 'hpa';
      const metrics =
        engine === 'hpa' ? only(manifests, 'HorizontalPodAutoscaler').spec.metrics : [];
      expect(autoscaled.length).toBeGreaterThanOrEqual(metrics.length + 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
