import { describe, expect, it } from 'vitest';
import { loadYaml, readInfra } from './helpers.js';

// biome-ignore lint/suspicious/noExplicitAny: walking parsed YAML
type Any = any;

const deployment = loadYaml('base/deployment.yaml') as Any;
const pod = deployment.spec.template.spec;
const [container] = pod.containers as Any[];

function env(name: string): string | undefined {
  return container.env.find((e: Any) => e.name === name)?.value;
}

describe('the Deployment', () => {
  it('runs non-root, read-only, without privilege escalation or capabilities, seccomp RuntimeDefault', () => {
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext).toEqual({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });

  it('gives the read-only root a writable /tmp', () => {
    const mount = container.volumeMounts.find((m: Any) => m.mountPath === '/tmp');
    const volume = pod.volumes.find((v: Any) => v.name === mount?.name);
    expect(volume?.emptyDir).toBeDefined();
  });

  it('probes readiness and startup on /readyz and liveness on /livez, through the named port', () => {
    expect(container.startupProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/livez', port: 'http' });
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(env('PORT')).toBe('8080');
  });

  it('fits the shutdown delay and drain inside the grace period', () => {
    const preStop = container.lifecycle?.preStop ? 1 : 0;
    expect(preStop).toBe(0); // the server delays itself; no hook to count
    const delay = Number(env('SHUTDOWN_DELAY_SECONDS'));
    const drain = Number(env('SHUTDOWN_DRAIN_SECONDS'));
    expect(delay).toBeGreaterThan(0);
    expect(delay + drain).toBeLessThan(pod.terminationGracePeriodSeconds);
  });

  it('sets only environment variables the server reads (a typo would be silently ignored)', () => {
    // apps/model-server's configuration (the agreed names).
    const known = new Set([
      'PORT',
      'HOST',
      'MODEL_PATH',
      'MODEL_NAME',
      'MODEL_VERSION',
      'PREDICT_STRICT',
      'WORKERS',
      'ORT_INTRA_OP_THREADS',
      'BATCH_MAX_SIZE',
      'BATCH_MAX_WAIT_MS',
      'MAX_CONCURRENCY',
      'MAX_QUEUE',
      'BODY_LIMIT_BYTES',
      'MAX_WAIT_MS',
      'HEADERS_TIMEOUT_MS',
      'BODY_TIMEOUT_MS',
      'KEEP_ALIVE_TIMEOUT_MS',
      'MAX_RECEIVING',
      'SHUTDOWN_DELAY_SECONDS',
      'SHUTDOWN_DRAIN_SECONDS',
      'GPU_PROBE',
      'LOG_LEVEL',
    ]);
    const gpu = loadYaml('overlays/gpu/deployment-gpu.yaml') as Any;
    const names = [container, ...gpu.spec.template.spec.containers].flatMap((c: Any) =>
      c.env.map((e: Any) => e.name),
    );
    expect(names.filter((name: string) => !known.has(name))).toEqual([]);
  });

  it('leaves replicas to the HPA and sizes requests and limits', () => {
    expect(deployment.spec.replicas).toBeUndefined();
    expect(container.resources.requests).toMatchObject({ cpu: '2', memory: '1Gi' });
    expect(container.resources.limits).toMatchObject({ cpu: '2', memory: '1Gi' });
  });
});

describe("the guide's HPA", () => {
  it('keeps the guide targets and behavior unchanged', () => {
    expect(loadYaml('hpa/guide-hpa.yaml')).toEqual({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'model-server-hpa' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'model-server' },
        minReplicas: 2,
        maxReplicas: 10,
        behavior: {
          scaleUp: {
            stabilizationWindowSeconds: 30,
            policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }],
          },
          scaleDown: {
            stabilizationWindowSeconds: 300,
            policies: [{ type: 'Pods', value: 1, periodSeconds: 120 }],
          },
        },
        metrics: [
          {
            type: 'Pods',
            pods: {
              metric: { name: 'inference_latency_seconds_avg' },
              target: { type: 'AverageValue', averageValue: '200m' },
            },
          },
          {
            type: 'Pods',
            pods: {
              metric: { name: 'request_queue_depth' },
              target: { type: 'AverageValue', averageValue: '10' },
            },
          },
        ],
      },
    });
  });

  it("shares bounds and behavior with the project HPA, but for the scale-up window and the project's burst policy", () => {
    const guide = loadYaml('hpa/guide-hpa.yaml') as Any;
    const project = loadYaml('base/hpa.yaml') as Any;
    expect(guide.spec.behavior.scaleUp.stabilizationWindowSeconds).toBe(30);
    expect(project.spec.behavior.scaleUp.stabilizationWindowSeconds).toBe(0);
    // the guide's Pods policy, and beside it the Percent policy that lets a burst double the pods
    expect(project.spec.behavior.scaleUp.policies).toEqual([
      ...guide.spec.behavior.scaleUp.policies,
      { type: 'Percent', value: 100, periodSeconds: 15 },
    ]);
    expect(project.spec.behavior.scaleUp.selectPolicy).toBe('Max');
    expect(project.spec.behavior.scaleDown).toEqual(guide.spec.behavior.scaleDown);
    expect([project.spec.minReplicas, project.spec.maxReplicas]).toEqual([
      guide.spec.minReplicas,
      guide.spec.maxReplicas,
    ]);
  });
});

describe("the guide's adapter rules are kept", () => {
  // From the guide's adapter-values.yaml: the series, names and windows its HPA relies on.
  const dollarOne = '$' + '{1}'; // the Go template ${1}
  const guide = [
    [
      'inference_latency_seconds_sum{namespace!="",pod!=""}',
      '^(.*)_sum$',
      'inference_latency_seconds_avg',
      '[2m]',
    ],
    [
      'request_queue_depth{namespace!="",pod!=""}',
      '^(.*)$',
      dollarOne,
      '<<.Series>>{<<.LabelMatchers>>}',
    ],
    [
      'gpu_utilization_percent{namespace!="",pod!=""}',
      '^(.*)$',
      dollarOne,
      '<<.Series>>{<<.LabelMatchers>>}',
    ],
  ];
  const values = loadYaml('helm/prometheus-adapter-values.yaml') as Any;

  it.each(guide)('%s', (seriesQuery, matches, as, inQuery) => {
    const rule = values.rules.custom.find((r: Any) => r.seriesQuery === seriesQuery);
    expect(rule?.name).toEqual({ matches, as });
    expect(rule?.metricsQuery).toContain(inQuery);
  });

  it('points at the kube-prometheus-stack Prometheus', () => {
    expect(values.prometheus).toMatchObject({
      url: 'http://prometheus-kube-prometheus-prometheus.monitoring.svc',
      port: 9090,
    });
    expect(readInfra('helm/kube-prometheus-stack-values.yaml')).toContain('release: prometheus');
  });
});
