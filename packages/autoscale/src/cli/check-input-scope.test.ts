/**
 * `mlscale check` on the user's files: the namespace a kustomization or `--namespace` sets, a
 * single file (partial input), and input that holds no chain at all.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerCheckCommand, runCheck } from './check.js';
import { ExitCode } from './exit-codes.js';

const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: recsys}
spec:
  selector: {matchLabels: {app: recsys}}
  template:
    metadata: {labels: {app: recsys}}
    spec: {containers: [{name: recsys, ports: [{name: http, containerPort: 8080}]}]}
`;
const hpa = `
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: recsys}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: recsys}
  maxReplicas: 4
`;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlscale-check-scope-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function target(outcome: Awaited<ReturnType<typeof runCheck>>) {
  if (!outcome.ok) throw new Error(outcome.error);
  return outcome.report.links.find((l) => l.link === 'hpa-target');
}

describe('the namespace of objects that name none', () => {
  it("takes a kustomization's namespace for the files it lists, and --namespace for the rest", async () => {
    await mkdir(join(dir, 'app'));
    await writeFile(join(dir, 'app', 'deployment.yaml'), deployment);
    await writeFile(
      join(dir, 'app', 'kustomization.yaml'),
      'namespace: serving\nresources: [deployment.yaml]\n',
    );
    await writeFile(join(dir, 'hpa.yaml'), hpa);
    // Walked: the Deployment is in serving (its kustomization), the HPA in default.
    expect(target(await runCheck({ paths: [dir] }))).toMatchObject({
      status: 'broken',
      detail: expect.stringContaining('Deployment/recsys (namespace serving)'),
    });
    expect(target(await runCheck({ paths: [dir], namespace: 'serving' }))?.status).toBe('ok');
  });

  it('keeps the namespace kubectl kustomize sets', async () => {
    await writeFile(join(dir, 'deployment.yaml'), deployment);
    await writeFile(
      join(dir, 'hpa.yaml'),
      `${hpa.replace('{name: recsys}', '{name: recsys, namespace: other}')}`,
    );
    await writeFile(
      join(dir, 'kustomization.yaml'),
      'namespace: serving\nresources: [deployment.yaml, hpa.yaml]\n',
    );
    expect(target(await runCheck({ paths: [dir] }))?.status).toBe('ok');
  });
});

describe('partial input', () => {
  it('skips, not breaks, the target of an HPA given alone', async () => {
    await writeFile(join(dir, 'hpa.yaml'), hpa);
    const outcome = await runCheck({ paths: [join(dir, 'hpa.yaml')] });
    if (!outcome.ok) throw new Error(outcome.error);
    expect(outcome.report.links.filter((l) => l.status === 'broken')).toEqual([]);
    expect(target(outcome)?.status).toBe('skipped');
  });

  it('refuses input with no chain (a ConfigMap alone) with exit 2, saying what it holds', async () => {
    await writeFile(
      join(dir, 'configmap.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: b}\n',
    );
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const program = new Command('mlscale').exitOverride();
    registerCheckCommand(program);
    const run = program.parseAsync(['check', join(dir, 'configmap.yaml')], { from: 'user' });
    await expect(run).rejects.toMatchObject({
      exitCode: ExitCode.Usage,
      message: expect.stringContaining('nothing to check'),
    });
    await expect(run).rejects.toMatchObject({ message: expect.stringContaining('ConfigMap') });
    const printed = write.mock.calls.map((call) => String(call[0])).join('');
    write.mockRestore();
    expect(printed).not.toContain('chain ok');
  });
});
