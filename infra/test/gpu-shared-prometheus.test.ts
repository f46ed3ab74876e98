// Two pods on one GPU, one busy and one idle, scaled on the device-wide metric and on each pod's
// own share: a real Prometheus scrapes two emulated pods (each a GPU probe with its own registry
// and its own view of /proc, as a pod with hostPID sees it) that share one fake NVML GPU, and the
// HPA port evaluates overlays/gpu-shared's HPA through the adapter rules, once as it is and once
// with the device-wide gpu_utilization_percent in its place at the same target.
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { PrometheusClient, parseAdapterValues, Watcher, type WatchTick } from '@mlscale/autoscale';
import { createGpuProbe, type GpuProbe } from '@mlscale/gpu-probe';
import { compileFakeNvml, createFakeProcRoot } from '@mlscale/gpu-probe/testing';
import type { HorizontalPodAutoscaler } from '@mlscale/hpa';
import { type RunningPrometheus, startPrometheus } from '@mlscale/testkit';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kustomize, readInfra } from './helpers.js';

// biome-ignore lint/suspicious/noExplicitAny: walking built YAML
type Any = any;

const BUSY_DUTY = 0.6;
const pods = [
  { name: 'model-server-busy', hostPid: 1001, duty: BUSY_DUTY },
  { name: 'model-server-idle', hostPid: 1002, duty: 0 },
] as const;

const nvml = compileFakeNvml();
const started = performance.now();
let advancedMs = 0;
/** The fake GPU's clock follows the wall clock, so the samples it writes are those of real time. */
function syncClock(): void {
  const due = performance.now() - started - advancedMs;
  if (due > 0) {
    nvml.advanceClock(due);
    advancedMs += due;
  }
}

const emulated = pods.map((pod) => {
  const procRoot = createFakeProcRoot({ pid: pod.hostPid, namespace: 'host' });
  return { ...pod, procRoot, registry: new Registry(), probe: undefined as GpuProbe | undefined };
});

/** overlays/gpu-shared's HPA with only its GPU metric, as a given metric name. */
function gpuHpa(metric: string): HorizontalPodAutoscaler {
  const hpa = kustomize('overlays/gpu-shared').find(
    (doc) => doc.kind === 'HorizontalPodAutoscaler',
  ) as Any;
  const share = hpa.spec.metrics.find(
    (m: Any) => m.pods.metric.name === 'gpu_process_utilization_percent',
  );
  share.pods.metric.name = metric;
  hpa.spec.metrics = [share];
  return hpa as HorizontalPodAutoscaler;
}

async function settle(watcher: Watcher, metric: string): Promise<WatchTick> {
  // Until Prometheus has both pods' series and the per-process windows hold samples.
  let tick = await watcher.tick();
  for (let i = 0; i < 40 && Object.keys(tick.collected[metric]?.values ?? {}).length < 2; i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    tick = await watcher.tick();
  }
  return tick;
}

describe('two pods on one GPU, one busy and one idle (real Prometheus, fake NVML)', () => {
  let exporter: Server;
  let prometheus: RunningPrometheus;
  beforeAll(async () => {
    for (const pod of pods) nvml.setProcess(0, pod.hostPid, { usedBytes: 2 * 1024 ** 3 });
    // Two periods per 1/6 s sample period: each sample of the device reads the duty cycle itself.
    nvml.setDutyCycle(0, pods[0].hostPid, pods[0].duty, 1000 / 12, 0);
    for (const pod of emulated) {
      pod.probe = createGpuProbe({
        registry: pod.registry,
        libraryPath: nvml.libraryPath,
        procRoot: pod.procRoot,
        constLabels: { model: 'resnet50', version: '1' },
      });
    }
    exporter = createServer(async (request, response) => {
      syncClock();
      const pod = emulated.find((p) => request.url === `/${p.name}`);
      if (!pod) return void response.writeHead(404).end();
      response.setHeader('content-type', pod.registry.contentType);
      response.end(await pod.registry.metrics());
    });
    await new Promise<void>((resolve) => exporter.listen(0, '127.0.0.1', resolve));
    const address = `127.0.0.1:${(exporter.address() as { port: number }).port}`;
    prometheus = await startPrometheus({
      targets: emulated.map((pod) => ({
        address,
        labels: { namespace: 'default', pod: pod.name, __metrics_path__: `/${pod.name}` },
      })),
    });
    await prometheus.waitForTargets();
  }, 40_000);
  afterAll(async () => {
    await prometheus?.stop();
    await new Promise((resolve) => exporter?.close(resolve));
    for (const pod of emulated) {
      pod.probe?.close();
      rmSync(pod.procRoot, { recursive: true, force: true });
    }
    nvml.dispose();
  });

  const values = parseAdapterValues(readInfra('helm/prometheus-adapter-values.yaml'));
  if (!values.ok) throw new Error(values.error);
  const watch = (metric: string) =>
    new Watcher({
      client: new PrometheusClient({ url: prometheus.url }),
      hpa: gpuHpa(metric),
      rules: values.value.custom,
      namespace: 'default',
      replicas: 2,
    });

  it('the device-wide metric reads the busy pod’s load on both pods and scales up', async () => {
    const metric = 'gpu_utilization_percent';
    const tick = await settle(watch(metric), metric);
    const read = tick.collected[metric]?.values ?? {};
    // Both pods read the device: 60 % each, though one does nothing.
    for (const pod of pods) expect(Math.abs((read[pod.name] ?? -1) - 60)).toBeLessThanOrEqual(10);
    const decision = tick.decision.metrics.find((m) => m.name === metric);
    expect(decision?.error).toBeUndefined();
    expect(decision?.proposal).toBe(3); // ceil(2 × 60 / 40): a third pod for a GPU half idle
  }, 30_000);

  it('the per-process metric reads each pod’s own share and holds at two', async () => {
    const metric = 'gpu_process_utilization_percent';
    const tick = await settle(watch(metric), metric);
    const read = tick.collected[metric]?.values ?? {};
    expect(Math.abs((read['model-server-busy'] ?? -1) - 60)).toBeLessThanOrEqual(10);
    expect(read['model-server-idle']).toBe(0); // on the GPU, known idle: 0, not absent
    const decision = tick.decision.metrics.find((m) => m.name === metric);
    expect(decision?.error).toBeUndefined();
    expect(decision?.proposal).toBe(2); // ceil(2 × 30 / 40): the load fits the two pods
  }, 30_000);

  it('a pod that cannot be attributed has no value, never 0', async () => {
    const blind = createFakeProcRoot({ pid: 7, namespace: 'own' });
    const registry = new Registry();
    const probe = createGpuProbe({ registry, libraryPath: nvml.libraryPath, procRoot: blind });
    try {
      const text = await registry.metrics();
      expect(text).toMatch(/^gpu_process_attributed\{[^}]*reason="pid-namespace"\} 0$/m);
      expect(text).not.toMatch(/^gpu_process_utilization_percent\{/m);
    } finally {
      probe.close();
      rmSync(blind, { recursive: true, force: true });
    }
  });
});
