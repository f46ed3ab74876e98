/**
 * The node agent as the kubelet: probes (an unready pod is not a Service backend; a pod failing its
 * liveness probe is restarted), the pod's status (phase, Ready, its own address), and deletion
 * (SIGTERM, then SIGKILL once terminationGracePeriodSeconds is over, then the pod is removed).
 */
import { waitFor } from '@mlscale/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_SERVER_IMAGE } from '../src/node-agent/images.js';
import { getJson, isPodReady, kubectl, services } from './kube.js';

const namespace = 'node-agent';

interface Pod {
  metadata: { name: string; deletionTimestamp?: string };
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { restartCount: number; ready: boolean }[];
  };
}

function pod(name: string, probes: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      ...extra,
      containers: [
        {
          name: 'model-server',
          image: MODEL_SERVER_IMAGE,
          ports: [{ name: 'http', containerPort: 8080 }],
          env: [
            { name: 'HOST', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
            { name: 'PORT', value: '8080' },
            { name: 'GPU_PROBE', value: 'off' },
            { name: 'WORKERS', value: '1' },
            { name: 'SHUTDOWN_DELAY_SECONDS', value: '30' },
          ],
          ...probes,
        },
      ],
    },
  };
}

const get = (name: string) => getJson<Pod>(['pod', name, '-n', namespace]);

describe('the node agent (kubelet, container runtime and kube-proxy stand-in)', () => {
  beforeAll(async () => {
    await kubectl(['create', 'namespace', namespace]).catch(() => {});
    const objects = [
      pod(
        'healthy',
        { readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 1 } },
        { terminationGracePeriodSeconds: 3 },
      ),
      pod('never-ready', {
        readinessProbe: { httpGet: { path: '/no-such-path', port: 'http' }, periodSeconds: 1 },
      }),
      pod('hung', {
        livenessProbe: {
          httpGet: { path: '/no-such-path', port: 'http' },
          periodSeconds: 1,
          failureThreshold: 2,
          initialDelaySeconds: 3,
        },
      }),
      ...['healthy', 'never-ready'].map((name) => ({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace },
        spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
      })),
    ];
    await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
    );
  });

  afterAll(async () => {
    await kubectl(['delete', 'namespace', namespace, '--wait=false']).catch(() => {});
  });

  it('runs a pod: Running, Ready by its readiness probe, at an address of its own, reachable through its Service', async () => {
    await waitFor(
      'pod healthy to be ready',
      async () => isPodReady(await get('healthy')),
      120_000,
      500,
    );
    const healthy = await get('healthy');
    expect(healthy.status?.phase).toBe('Running');
    expect(healthy.status?.podIP).toMatch(/^127\.\d+\.\d+\.\d+$/);
    expect(healthy.status?.podIP).not.toBe('127.0.0.1');
    const direct = await fetch(`http://${healthy.status?.podIP}:8080/readyz`);
    expect(direct.status).toBe(200);
    await waitFor(
      'the Service port',
      async () => !!services()[`${namespace}/healthy`],
      30_000,
      250,
    );
    const viaService = await fetch(`${services()[`${namespace}/healthy`]}/readyz`);
    expect(viaService.status).toBe(200);
  });

  it('keeps a pod failing its readiness probe unready and out of its Service', async () => {
    await waitFor(
      'never-ready to run',
      async () => (await get('never-ready')).status?.phase === 'Running',
      60_000,
      500,
    );
    await new Promise((r) => setTimeout(r, 5000));
    expect(isPodReady(await get('never-ready'))).toBe(false);
    const url = services()[`${namespace}/never-ready`];
    if (!url) throw new Error('no Service port for never-ready');
    await expect(fetch(`${url}/readyz`, { signal: AbortSignal.timeout(3000) })).rejects.toThrow();
  });

  it('restarts a container that fails its liveness probe', async () => {
    await waitFor(
      'hung to be restarted',
      async () => ((await get('hung')).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1,
      120_000,
      1000,
    );
  });

  it('on deletion: SIGTERM, SIGKILL after terminationGracePeriodSeconds (3 s, the server wanted 30 s), then the pod is gone', async () => {
    const started = Date.now();
    await kubectl(['delete', 'pod', 'healthy', '-n', namespace, '--wait=false']);
    await waitFor(
      'pod healthy to be gone',
      async () => {
        try {
          await get('healthy');
          return false;
        } catch {
          return true;
        }
      },
      60_000,
      200,
    );
    const seconds = (Date.now() - started) / 1000;
    expect(seconds).toBeGreaterThanOrEqual(2.5);
    expect(seconds).toBeLessThan(15);
  });
});
