/**
 * Every kustomization in infra/ applies to the real API server (server-side dry-run: admission,
 * defaulting, validation and the CRDs' schemas, nothing stored), with the CRDs it needs installed
 * by `cluster:up` (prometheus-operator's and KEDA's, from their Go modules).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src/control-plane.js';
import { kubectl } from './kube.js';

function kustomizations(dir: string): string[] {
  const found: string[] = [];
  if (existsSync(join(dir, 'kustomization.yaml'))) found.push(dir);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && !['node_modules', 'test', 'dist'].includes(entry.name)) {
      found.push(...kustomizations(join(dir, entry.name)));
    }
  }
  return found;
}

const infra = join(REPO_ROOT, 'infra');
const all = kustomizations(infra).map((dir) => relative(infra, dir));

// An empty namespace of their own, so that what other suites deployed does not interfere.
const namespace = 'dry-run';

describe('every kustomization in infra/ on the real API server (server-side dry-run)', () => {
  beforeAll(async () => {
    await kubectl(['create', 'namespace', namespace]).catch(() => {});
  });

  it('finds them all, the local overlay among them', () => {
    expect(all).toContain('base');
    expect(all).toContain('overlays/local');
    expect(all.length).toBeGreaterThanOrEqual(10);
  });

  it.each(all)('%s', async (dir) => {
    const out = await kubectl([
      'apply',
      '--dry-run=server',
      '--server-side',
      '--field-manager=mlscale-dry-run',
      `--namespace=${namespace}`,
      '-k',
      join(infra, dir),
    ]);
    const lines = out.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines)
      expect(line).toMatch(
        / (serverside-applied|created|configured|unchanged) \(server dry run\)$/,
      );
  });
});
