import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerCheckCommand, runCheck } from './check.js';
import { ExitCode } from './exit-codes.js';
import { INSTALL_KUBECTL } from './inputs.js';
import { exitCodeFor } from './program.js';

const manifests = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: model-server}
spec:
  selector: {matchLabels: {app: model-server}}
  template:
    metadata: {labels: {app: model-server}}
    spec:
      containers:
        - name: model-server
          ports: [{name: http, containerPort: 8080}]
          readinessProbe: {httpGet: {path: /readyz, port: http}}
          livenessProbe: {httpGet: {path: /livez, port: http}}
---
apiVersion: v1
kind: Service
metadata: {name: model-server, labels: {app: model-server}}
spec:
  selector: {app: model-server}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: model-server}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: model-server}
  maxReplicas: 4
  metrics:
    - type: Pods
      pods: {metric: {name: request_queue_depth}, target: {type: AverageValue, averageValue: "10"}}
`;
const adapter = `
prometheus: {url: http://prometheus-kube-prometheus-prometheus.monitoring.svc, port: 9090}
rules:
  custom:
    - seriesQuery: 'request_queue_depth{namespace!="",pod!=""}'
      resources: {overrides: {namespace: {resource: namespace}, pod: {resource: pod}}}
      metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)'
`;

let dir: string;
let server: Server;
let base: string;
let metricsBody = '# TYPE request_queue_depth gauge\nrequest_queue_depth 0\n';

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlscale-check-'));
  await writeFile(join(dir, 'manifests.yaml'), manifests);
  await writeFile(join(dir, 'adapter-values.yaml'), adapter);
  server = createServer((req, res) => {
    if (req.url === '/metrics') res.end(metricsBody);
    else if (req.url === '/readyz' || req.url === '/livez') res.end('ok');
    else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
  metricsBody = '# TYPE request_queue_depth gauge\nrequest_queue_depth 0\n';
});

describe('runCheck', () => {
  it('reads a folder, asks the server for /metrics and the probe paths', async () => {
    const outcome = await runCheck({ paths: [dir], metricsUrl: `${base}/metrics` });
    if (!outcome.ok) throw new Error(outcome.error);
    expect(outcome.files.map((f) => f.slice(dir.length + 1))).toEqual([
      'adapter-values.yaml',
      'manifests.yaml',
    ]);
    expect(outcome.report.ok).toBe(true);
    expect(outcome.report.links.filter((l) => l.link === 'probe').map((l) => l.status)).toEqual([
      'ok',
      'ok',
    ]);
  });

  it('skips, not breaks, a series the workload does not expose and nothing suggests it misnamed', async () => {
    // The rule may read another exporter's series (an ingress controller's, kube-state-metrics').
    metricsBody = '# TYPE other gauge\nother 0\n';
    const outcome = await runCheck({ paths: [dir], metricsUrl: `${base}/metrics` });
    if (!outcome.ok) throw new Error(outcome.error);
    expect(outcome.report.ok).toBe(true);
    const status = (link: string) => outcome.report.links.find((l) => l.link === link);
    expect(status('rule-series')).toMatchObject({
      status: 'skipped',
      detail: expect.stringContaining('it may come from another exporter'),
    });
    expect(status('hpa-metric')?.status).toBe('skipped');
  });

  it('fails the chain when the server renamed the metric', async () => {
    metricsBody = '# TYPE request_queue_depth_now gauge\nrequest_queue_depth_now 0\n';
    const outcome = await runCheck({ paths: [dir], metricsUrl: `${base}/metrics` });
    if (!outcome.ok) throw new Error(outcome.error);
    expect(outcome.report.ok).toBe(false);
  });

  it('says when the server cannot be reached or the path does not exist', async () => {
    const unreachable = await runCheck({
      paths: [dir],
      metricsUrl: 'http://127.0.0.1:1/metrics',
      timeoutMs: 2000,
    });
    expect(unreachable).toMatchObject({
      ok: false,
      error: expect.stringContaining('cannot reach'),
    });
    expect(await runCheck({ paths: [join(dir, 'nope')] })).toMatchObject({
      ok: false,
      error: expect.stringContaining('no such file or folder'),
    });
  });

  it('reads stdin for -, with Helm values from a file', async () => {
    const outcome = await runCheck({
      paths: ['-', join(dir, 'adapter-values.yaml')],
      metricsUrl: `${base}/metrics`,
      read: { readStdin: async () => manifests },
    });
    if (!outcome.ok) throw new Error(outcome.error);
    expect(outcome.files).toEqual(['-', join(dir, 'adapter-values.yaml')]);
    expect(outcome.report.ok).toBe(true);
  });

  it('refuses two values files of one chart, and input with nothing to check', async () => {
    await writeFile(join(dir, 'more-values.yaml'), adapter);
    expect(await runCheck({ paths: [dir] })).toMatchObject({
      ok: false,
      error: expect.stringContaining('two prometheus-adapter values files'),
    });
    await writeFile(join(dir, 'other.yaml'), 'just: data\n');
    expect(await runCheck({ paths: [join(dir, 'other.yaml')] })).toMatchObject({
      ok: false,
      error: expect.stringContaining('no Kubernetes objects or Helm values found'),
    });
  });

  it('walks a base and overlays layout: resources followed, patches not read', async () => {
    const tree = join(dir, 'deploy');
    await mkdir(join(tree, 'base'), { recursive: true });
    await mkdir(join(tree, 'overlays', 'prod'), { recursive: true });
    await writeFile(join(tree, 'base', 'all.yaml'), manifests);
    await writeFile(join(tree, 'base', 'kustomization.yaml'), 'resources: [all.yaml]\n');
    // A strategic-merge patch: a partial Deployment that must not count as a second Deployment.
    await writeFile(
      join(tree, 'overlays', 'prod', 'replicas.yaml'),
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: model-server}\nspec: {replicas: 3}\n',
    );
    await writeFile(
      join(tree, 'overlays', 'prod', 'kustomization.yaml'),
      'resources: [../../base]\npatches: [{path: replicas.yaml}]\n',
    );
    await writeFile(join(tree, 'overlays', 'prod', 'adapter-values.yaml'), adapter);
    const outcome = await runCheck({ paths: [tree], metricsUrl: `${base}/metrics` });
    if (!outcome.ok) throw new Error(outcome.error);
    expect(outcome.files.map((f) => f.slice(f.indexOf('deploy')))).toEqual([
      'deploy/base/all.yaml',
      'deploy/overlays/prod/adapter-values.yaml',
    ]);
    expect(outcome.report.ok).toBe(true);
    expect(outcome.report.links.filter((l) => l.link === 'shutdown-budget')).toHaveLength(1);
  });
});

describe('a kustomization folder is built with kubectl', () => {
  it('finds kubectl (fails with how to install it)', () => {
    let found = 'found';
    try {
      execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    } catch {
      found = `kubectl is not installed: ${INSTALL_KUBECTL}`;
    }
    expect(found).toBe('found');
  });

  it('checks the built objects, with the Helm values inside the folder', async () => {
    const overlay = join(dir, 'overlay');
    await mkdir(overlay);
    await writeFile(
      join(overlay, 'manifests.yaml'),
      manifests.replace('request_queue_depth}', 'request_queue_dept}'),
    );
    await writeFile(join(overlay, 'kustomization.yaml'), 'resources: [manifests.yaml]\n');
    await writeFile(join(overlay, 'adapter-values.yaml'), adapter);
    const outcome = await runCheck({ paths: [overlay], metricsUrl: `${base}/metrics` });
    if (!outcome.ok) throw new Error(outcome.error);
    expect(outcome.files).toEqual([
      `kubectl kustomize ${overlay}`,
      expect.stringMatching(/adapter-values\.yaml$/),
    ]);
    expect(outcome.report.links.filter((l) => l.status === 'broken').map((l) => l.subject)).toEqual(
      ['HorizontalPodAutoscaler/model-server → request_queue_dept'],
    );
  });

  it('says when the build fails, and how to get kubectl when it is missing', async () => {
    const overlay = join(dir, 'overlay');
    await mkdir(overlay);
    await writeFile(join(overlay, 'kustomization.yaml'), 'resources: [nowhere.yaml]\n');
    expect(await runCheck({ paths: [overlay] })).toMatchObject({
      ok: false,
      error: expect.stringContaining(`kubectl kustomize ${overlay} failed`),
    });
    expect(
      await runCheck({ paths: [overlay], read: { kubectl: '/nonexistent/kubectl' } }),
    ).toMatchObject({
      ok: false,
      error: expect.stringContaining(
        'building it needs kubectl, which is not on PATH: install kubectl',
      ),
    });
  });
});

describe('registerCheckCommand', () => {
  it('prints the report and sets exit code 1 on a broken link', async () => {
    metricsBody = '# TYPE request_queue_dept gauge\nrequest_queue_dept 0\n';
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const program = new Command('mlscale').exitOverride();
    registerCheckCommand(program);
    const run = program.parseAsync(['check', dir, '--metrics-url', `${base}/metrics`], {
      from: 'user',
    });
    await expect(run).rejects.toMatchObject({
      exitCode: ExitCode.Findings,
      message: 'check: 2 broken links in the autoscaling chain (see above)',
    });
    const printed = write.mock.calls.map((call) => String(call[0])).join('');
    write.mockRestore();
    expect(printed).toContain('BROKEN HorizontalPodAutoscaler/model-server → request_queue_depth');
  });

  it('sets exit code 2 when the input cannot be read', async () => {
    const program = new Command('mlscale').exitOverride();
    registerCheckCommand(program);
    await expect(
      program.parseAsync(['check', join(dir, 'missing')], { from: 'user' }),
    ).rejects.toMatchObject({
      exitCode: ExitCode.Usage,
      message: expect.stringContaining('no such file or folder'),
    });
  });

  it.each([
    [['--namespace', 'Bad_NS'], '--namespace must be a Kubernetes namespace'],
    [['--timeout', '0'], '--timeout must be a number >= 0.1'],
    [['--metrics-url', 'localhost:8080'], '--metrics-url must be an http:// or https:// URL'],
    [['--optional-series', '('], 'invalid regular expression'],
    [['--shutdown-delay-env', 'A-B'], '--shutdown-delay-env must be an environment variable name'],
    [['--metrics-path', 'metrics'], '--metrics-path must start with /'],
    [
      ['--metrics-url', 'http://x/metrics', '--metrics-file', 'm.txt'],
      'cannot be used with option',
    ],
  ])('rejects %j with exit code 2', async (flags, message) => {
    let err = '';
    const program = new Command('mlscale').exitOverride();
    registerCheckCommand(program);
    for (const c of [program, ...program.commands]) {
      c.exitOverride().configureOutput({ writeErr: (s) => (err += s), writeOut: () => {} });
    }
    const error = await program
      .parseAsync(['check', dir, ...flags], { from: 'user' })
      .catch((e: unknown) => e);
    expect(exitCodeFor(error).code).toBe(ExitCode.Usage);
    expect(err).toContain(message);
  });

  it('returns normally when every link holds', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const program = new Command('mlscale').exitOverride();
    registerCheckCommand(program);
    await program.parseAsync(['check', dir, '--metrics-url', `${base}/metrics`, '--json'], {
      from: 'user',
    });
    const printed = write.mock.calls.map((call) => String(call[0])).join('');
    write.mockRestore();
    expect(JSON.parse(printed)).toMatchObject({ ok: true });
  });
});
