import { rmSync } from 'node:fs';
import {
  type ChainInput,
  type ChainLink,
  checkChain,
  checkPromql,
  formatChainReport,
  readAdapterValues,
  readScaledObject,
  renderMetricsQuery,
} from '@mlscale/autoscale';
import { compileFakeNvml, createFakeProcRoot } from '@mlscale/gpu-probe/testing';
import { type Running, startModelServer } from '@mlscale/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadYaml, manifestsOf, overlays } from './helpers.js';

const adapterValues = loadYaml('helm/prometheus-adapter-values.yaml');
const prometheusStackValues = loadYaml('helm/kube-prometheus-stack-values.yaml');

interface Observed {
  /** /metrics of a CPU server (GPU_PROBE=off). */
  cpu: string;
  /** /metrics of a server with the GPU probe on, reading the fake NVML. */
  gpu: string;
  probeStatus: Record<string, number>;
  source: string;
}

// Always the live server: a recorded exposition would check the chain against yesterday's server.
const observed: Observed = { cpu: '', gpu: '', probeStatus: {}, source: 'the live model server' };

const features = Array.from({ length: 768 }, (_, i) => (i % 7) / 10);

async function scrape(app: Running): Promise<string> {
  const predict = await fetch(`${app.url}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ features }),
  });
  expect(predict.status).toBe(200);
  const metrics = await fetch(`${app.url}/metrics`);
  expect(metrics.status).toBe(200);
  return metrics.text();
}

const quickShutdown = { SHUTDOWN_DELAY_SECONDS: '0', SHUTDOWN_DRAIN_SECONDS: '1' };

beforeAll(async () => {
  // The live app: startModelServer fails, saying how to build it, when it has not been built.
  const cpu = await startModelServer(quickShutdown);
  try {
    observed.cpu = await scrape(cpu);
    observed.probeStatus = {};
    for (const path of ['/readyz', '/livez', '/health']) {
      observed.probeStatus[path] = (await fetch(`${cpu.url}${path}`)).status;
    }
  } finally {
    await cpu.stop();
  }
  // Without a C compiler this throws, saying to install one (apt-get install gcc).
  const nvml = compileFakeNvml();
  // The server as a pod with hostPID (whatever namespace the test runs in), so its own share is
  // attributed: 0 % and 0 bytes, since the server's copy of the fake lists no process.
  const procRoot = createFakeProcRoot({ pid: 4242, namespace: 'host' });
  try {
    nvml.setDeviceCount(1);
    nvml.setUtilization(0, 55);
    const gpu = await startModelServer({
      ...quickShutdown,
      GPU_PROBE: 'on',
      GPU_PROBE_PROC_ROOT: procRoot,
      ...nvml.env,
    });
    try {
      observed.gpu = await scrape(gpu);
    } finally {
      await gpu.stop();
    }
  } finally {
    nvml.dispose();
    rmSync(procRoot, { recursive: true, force: true });
  }
}, 90_000);

function input(
  overlay: (typeof overlays)[number],
  overrides: Partial<ChainInput> = {},
): ChainInput {
  return {
    manifests: manifestsOf(overlay),
    adapterValues,
    prometheusStackValues,
    exposition: overlay.startsWith('overlays/gpu') ? observed.gpu : observed.cpu,
    probeStatus: observed.probeStatus,
    ...overrides,
  };
}

function broken(links: readonly ChainLink[]): ChainLink[] {
  return links.filter((link) => link.status === 'broken');
}

function link(links: readonly ChainLink[], subject: string): ChainLink | undefined {
  return links.find((l) => l.subject === subject);
}

describe.each(overlays)('the chain of %s', (overlay) => {
  it('holds from /metrics to the Deployment', () => {
    const report = checkChain(input(overlay));
    expect(broken(report.links), `${observed.source}\n${formatChainReport(report)}`).toEqual([]);
    const kinds = new Set(report.links.map((l) => l.link));
    for (const kind of [
      'service-selects-pods',
      'service-port',
      'servicemonitor-port',
      'servicemonitor-release',
      'shutdown-budget',
    ]) {
      expect(kinds).toContain(kind);
    }
    expect(report.links.filter((l) => l.link === 'probe').every((l) => l.status === 'ok')).toBe(
      true,
    );
  });
});

describe('what each autoscaler targets is served', () => {
  it('the project HPA: end-to-end latency and time-averaged queue depth', () => {
    const { links } = checkChain(input('base'));
    expect(
      link(links, 'HorizontalPodAutoscaler/model-server → http_request_duration_seconds_avg'),
    ).toMatchObject({
      status: 'ok',
      detail: 'served by rules.custom[3] from http_request_duration_seconds_sum',
    });
    expect(
      link(links, 'HorizontalPodAutoscaler/model-server → request_queue_depth_avg'),
    ).toMatchObject({
      status: 'ok',
      detail: 'served by rules.custom[5] from request_queue_depth_seconds_total',
    });
  });

  it("the guide's HPA, unchanged, against this server", () => {
    const { links } = checkChain(input('overlays/guide-hpa'));
    expect(
      link(links, 'HorizontalPodAutoscaler/model-server-hpa → inference_latency_seconds_avg')
        ?.status,
    ).toBe('ok');
    expect(
      link(links, 'HorizontalPodAutoscaler/model-server-hpa → request_queue_depth')?.status,
    ).toBe('ok');
  });

  it('the GPU overlay adds GPU utilization, served while the probe reads', () => {
    const { links } = checkChain(input('overlays/gpu'));
    expect(
      link(links, 'HorizontalPodAutoscaler/model-server → gpu_utilization_percent')?.status,
    ).toBe('ok');
    expect(links.filter((l) => l.link === 'rule-series').every((l) => l.status === 'ok')).toBe(
      true,
    );
  });

  it("the shared-GPU overlay scales on the pod's own share, served while attributed and read", () => {
    expect(observed.gpu).toMatch(/^gpu_process_utilization_percent\{[^}]*\} 0$/m);
    expect(observed.gpu).toMatch(
      /^gpu_process_attributed\{[^}]*reason="host-pid-namespace"[^}]*\} 1$/m,
    );
    const { links } = checkChain(input('overlays/gpu-shared'));
    expect(
      link(links, 'HorizontalPodAutoscaler/model-server → gpu_process_utilization_percent'),
    ).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining('from gpu_process_utilization_percent'),
    });
    expect(
      link(links, 'HorizontalPodAutoscaler/model-server → gpu_utilization_percent'),
    ).toBeUndefined();
  });

  it('on a CPU server the GPU rules only warn, since no CPU HPA targets them', () => {
    const { links } = checkChain(input('base'));
    const gpuRules = links.filter((l) => l.link === 'rule-series' && l.subject.includes('gpu_'));
    expect(gpuRules.map((l) => l.status)).toEqual(['warn', 'warn', 'warn']);
  });

  it('KEDA queries read only series the server exposes', () => {
    const { links } = checkChain(input('overlays/keda'));
    expect(links.filter((l) => l.link === 'keda-empty-result').map((l) => l.status)).toEqual([
      'ok',
      'ok',
    ]);
    expect(links.filter((l) => l.subject.startsWith('ScaledObject') && l.status !== 'ok')).toEqual(
      [],
    );
  });
});

describe('a deliberately broken name fails the check and names the link', () => {
  it('an HPA metric renamed', () => {
    const manifests = manifestsOf('base').map((doc) =>
      doc.kind === 'HorizontalPodAutoscaler'
        ? JSON.parse(
            JSON.stringify(doc).replace('"request_queue_depth_avg"', '"request_queue_depth_mean"'),
          )
        : doc,
    );
    const report = checkChain(input('base', { manifests }));
    expect(report.ok).toBe(false);
    expect(broken(report.links)).toEqual([
      expect.objectContaining({
        subject: 'HorizontalPodAutoscaler/model-server → request_queue_depth_mean',
        detail: expect.stringContaining(
          'no adapter rule serves request_queue_depth_mean, so the HPA would show <unknown>',
        ),
        fix: expect.stringContaining('did you mean request_queue_depth_avg?'),
      }),
    ]);
  });

  it('a metric renamed in the server', () => {
    const exposition = observed.cpu.replaceAll(
      'request_queue_depth_seconds_total',
      'request_queue_seconds_total',
    );
    const report = checkChain(input('base', { exposition }));
    const subjects = broken(report.links).map((l) => l.subject);
    expect(subjects).toContain(
      'rules.custom[5] seriesQuery request_queue_depth_seconds_total{namespace!="",pod!=""} → /metrics',
    );
    expect(subjects).toContain('HorizontalPodAutoscaler/model-server → request_queue_depth_avg');
    expect(formatChainReport(report)).toContain('did you mean request_queue_seconds_total?');
  });

  it('a wrong port name in the ServiceMonitor', () => {
    const manifests = manifestsOf('base').map((doc) =>
      doc.kind === 'ServiceMonitor'
        ? JSON.parse(JSON.stringify(doc).replace('"port":"http"', '"port":"metrics"'))
        : doc,
    );
    const report = checkChain(input('base', { manifests }));
    expect(broken(report.links)).toEqual([
      expect.objectContaining({
        link: 'servicemonitor-port',
        subject: 'ServiceMonitor/model-server endpoint port metrics → Service port',
      }),
    ]);
  });

  it('a wrong container port name behind the Service', () => {
    const manifests = manifestsOf('base').map((doc) =>
      doc.kind === 'Deployment'
        ? JSON.parse(JSON.stringify(doc).replaceAll('"http"', '"web"'))
        : doc,
    );
    expect(broken(checkChain(input('base', { manifests })).links)).toEqual([
      expect.objectContaining({
        link: 'service-port',
        detail: 'targetPort "http" is no container port of the selected pods (web:8080)',
      }),
    ]);
  });

  it('the ServiceMonitor without the release label', () => {
    const manifests = manifestsOf('base').map((doc) =>
      doc.kind === 'ServiceMonitor'
        ? JSON.parse(
            JSON.stringify(doc).replace('"release":"prometheus"', '"release":"monitoring"'),
          )
        : doc,
    );
    expect(broken(checkChain(input('base', { manifests })).links).map((l) => l.link)).toEqual([
      'servicemonitor-release',
    ]);
  });
});

describe('PromQL', () => {
  const values = readAdapterValues(adapterValues);
  if (!values.ok) throw new Error(values.error);

  it.each(values.value.custom.map((rule) => [rule.path, rule] as const))(
    '%s uses <<.LabelMatchers>>, groups by <<.GroupBy>> and renders to valid PromQL',
    (_path, rule) => {
      expect(rule.metricsQuery).toContain('<<.LabelMatchers>>');
      expect(rule.metricsQuery).toMatch(/by \((le, )?<<\.GroupBy>>\)/);
      const series = /^[a-z_]+/.exec(rule.seriesQuery)?.[0] ?? '';
      for (const names of [
        ['model-server-7d9f-abcde'],
        ['model-server-7d9f-abcde', 'model-server-7d9f-fghij'],
      ]) {
        const query = renderMetricsQuery(rule, { series, namespace: 'default', names });
        if (!query.ok) throw new Error(query.error);
        const result = checkPromql(query.value);
        expect(result, query.value).toMatchObject({ ok: true });
      }
    },
  );

  it('renders the time-averaged queue depth exactly as the adapter would', () => {
    const rule = values.value.custom[5];
    if (!rule) throw new Error('missing rule');
    expect(
      renderMetricsQuery(rule, {
        series: 'request_queue_depth_seconds_total',
        namespace: 'default',
        names: ['a', 'b'],
      }),
    ).toEqual({
      ok: true,
      value:
        'sum(rate(request_queue_depth_seconds_total{namespace="default",pod=~"a|b"}[15s])) by (pod)',
    });
  });

  it('every KEDA query is valid PromQL returning one value', () => {
    const so = readScaledObject(loadYaml('keda/scaledobject.yaml'));
    if (!so.ok) throw new Error(so.error);
    expect(so.value.prometheusTriggers).toHaveLength(2);
    for (const trigger of so.value.prometheusTriggers) {
      expect(checkPromql(trigger.query), trigger.query).toMatchObject({ ok: true, type: 'vector' });
      // KEDA errors on a result with several elements: the outer expression must aggregate all pods.
      expect(trigger.query.trimStart()).toMatch(/^sum\(/);
      expect(trigger.ignoreNullValues).toBe(false);
    }
    expect(so.value.fallback).toEqual({ failureThreshold: 3, replicas: 6 });
  });
});
