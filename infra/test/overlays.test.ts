import { describe, expect, it } from 'vitest';
import { kustomize } from './helpers.js';

type Doc = Record<string, unknown>;
// biome-ignore lint/suspicious/noExplicitAny: walking built YAML
type Any = any;

function only(docs: Doc[], kind: string): Any[] {
  return docs.filter((doc) => doc.kind === kind);
}

describe('the overlays (kubectl kustomize)', () => {
  it('base: the project HPA on the Deployment, the CPU image, no GPU', () => {
    const docs = kustomize('base');
    expect(only(docs, 'HorizontalPodAutoscaler').map((h) => h.metadata.name)).toEqual([
      'model-server',
    ]);
    const [deployment] = only(docs, 'Deployment');
    const [container] = deployment.spec.template.spec.containers;
    expect(container.image).toBe('ghcr.io/mlscale/model-server:0.1.0-cpu');
    expect(JSON.stringify(container.resources)).not.toContain('nvidia.com/gpu');
  });

  it('gpu: one nvidia.com/gpu requested and limited, GPU_PROBE=on once, tolerations, the GPU image, a GPU metric', () => {
    const docs = kustomize('overlays/gpu');
    const [deployment] = only(docs, 'Deployment');
    const spec = deployment.spec.template.spec;
    const [container] = spec.containers;
    expect(container.image).toBe('ghcr.io/mlscale/model-server:0.1.0-gpu');
    expect(container.resources.requests['nvidia.com/gpu']).toBe('1');
    expect(container.resources.limits['nvidia.com/gpu']).toBe('1');
    const probe = container.env.filter((e: Any) => e.name === 'GPU_PROBE');
    expect(probe).toEqual([{ name: 'GPU_PROBE', value: 'on' }]);
    expect(container.env.filter((e: Any) => e.name === 'WORKERS')).toEqual([
      { name: 'WORKERS', value: '1' },
    ]);
    expect(spec.tolerations).toContainEqual({
      key: 'nvidia.com/gpu',
      operator: 'Exists',
      effect: 'NoSchedule',
    });
    // the security context and probes of the base survive the patch
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    const [hpa] = only(docs, 'HorizontalPodAutoscaler');
    expect(hpa.spec.metrics.map((m: Any) => m.pods.metric.name)).toEqual([
      'http_request_duration_seconds_avg',
      'request_queue_depth_avg',
      'gpu_utilization_percent',
    ]);
  });

  it("gpu-shared: the GPU overlay with hostPID, scaling on the pod's own share instead of the device's", () => {
    const docs = kustomize('overlays/gpu-shared');
    const [deployment] = only(docs, 'Deployment');
    const spec = deployment.spec.template.spec;
    expect(spec.hostPID).toBe(true);
    expect(spec.containers[0].resources.limits['nvidia.com/gpu']).toBe('1');
    expect(spec.containers[0].env).toContainEqual({ name: 'GPU_PROBE', value: 'on' });
    const [hpa] = only(docs, 'HorizontalPodAutoscaler');
    expect(
      hpa.spec.metrics.map((m: Any) => [m.pods.metric.name, m.pods.target.averageValue]),
    ).toEqual([
      ['http_request_duration_seconds_avg', '200m'],
      ['request_queue_depth_avg', '10'],
      ['gpu_process_utilization_percent', '40'],
    ]);
    // the plain GPU overlay keeps the device-wide metric and no hostPID
    const [plain] = only(kustomize('overlays/gpu'), 'Deployment');
    expect(plain.spec.template.spec.hostPID).toBeUndefined();
  });

  it("guide-hpa: the guide's HPA replaces the project's (never two HPAs on one Deployment)", () => {
    const docs = kustomize('overlays/guide-hpa');
    expect(only(docs, 'HorizontalPodAutoscaler').map((h) => h.metadata.name)).toEqual([
      'model-server-hpa',
    ]);
  });

  it('keda: a ScaledObject and no HPA of ours (KEDA creates its own)', () => {
    const docs = kustomize('overlays/keda');
    expect(only(docs, 'HorizontalPodAutoscaler')).toEqual([]);
    expect(only(docs, 'ScaledObject').map((s) => s.metadata.name)).toEqual(['model-server']);
  });
});
