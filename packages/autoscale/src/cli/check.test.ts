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
  await writeFile(join(dir, 'kustomization.yaml'), 'resources: [manifests.yaml]\n');
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
      error: expect.stringContaining('cannot read'),
    });
  });
});

describe('registerCheckCommand', () => {
  it('prints the report and sets exit code 1 on a broken link', async () => {
    metricsBody = '# TYPE other gauge\nother 0\n';
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
      message: expect.stringContaining('cannot read'),
    });
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

describe.runIf(
  (() => {
    try {
      execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })(),
)('--kustomize', () => {
  it('checks the built objects, with Helm values from the paths', async () => {
    const overlay = join(dir, 'overlay');
    await mkdir(overlay);
    await writeFile(
      join(overlay, 'manifests.yaml'),
      manifests.replace('request_queue_depth}', 'request_queue_dept}'),
    );
    await writeFile(join(overlay, 'kustomization.yaml'), 'resources: [manifests.yaml]\n');
    const outcome = await runCheck({
      paths: [join(dir, 'adapter-values.yaml')],
      kustomize: overlay,
      metricsUrl: `${base}/metrics`,
    });
    if (!outcome.ok) throw new Error(outcome.error);
    expect(outcome.report.links.filter((l) => l.status === 'broken').map((l) => l.subject)).toEqual(
      ['HorizontalPodAutoscaler/model-server → request_queue_dept'],
    );
  });

  it('says when the build fails', async () => {
    const outcome = await runCheck({ paths: [dir], kustomize: join(dir, 'nowhere') });
    expect(outcome).toMatchObject({
      ok: false,
      error: expect.stringContaining('kubectl kustomize'),
    });
  });
});
