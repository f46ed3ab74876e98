import { describe, expect, it } from 'vitest';
import {
  adapterValues,
  broken,
  deployment,
  hpa,
  input,
  monitor,
  service,
} from './chain.fixture.js';
import { checkChain } from './check.js';
import type { ChainInput } from './types.js';

describe('assumptions about the workload are input', () => {
  it('skips the shutdown budget when the variables are not set, and reads named ones', () => {
    const plain = structuredClone(deployment);
    const container = plain.spec.template.spec.containers[0] as Record<string, unknown>;
    container.env = [
      { name: 'GRACE_DELAY', value: '10' },
      { name: 'DRAIN', value: '25' },
    ];
    const budget = (assumptions: ChainInput['assumptions']) =>
      checkChain(input({ manifests: [plain, service, monitor, hpa], assumptions })).links.find(
        (l) => l.link === 'shutdown-budget',
      );
    expect(budget(undefined)).toMatchObject({
      status: 'skipped',
      detail: expect.stringContaining('SHUTDOWN_DELAY_SECONDS is not set'),
    });
    expect(budget({ shutdownDelayEnv: 'GRACE_DELAY', shutdownDrainEnv: 'DRAIN' })).toMatchObject({
      status: 'broken',
      detail: 'preStop 0 s + GRACE_DELAY 10 s + DRAIN 25 s = 35 s, grace period 30 s',
    });
    expect(budget({ shutdownDelayEnv: '', shutdownDrainEnv: 'DRAIN' })).toMatchObject({
      status: 'ok',
      detail: 'preStop 0 s + DRAIN 25 s = 25 s, grace period 30 s',
    });
  });

  it('breaks a preStop hook that alone outlasts the grace period, whatever the variables', () => {
    const hooked = structuredClone(deployment);
    const container = hooked.spec.template.spec.containers[0] as Record<string, unknown>;
    container.env = [];
    container.lifecycle = { preStop: { sleep: { seconds: 40 } } };
    const link = checkChain(input({ manifests: [hooked, service, monitor, hpa] })).links.find(
      (l) => l.link === 'shutdown-budget',
    );
    expect(link).toMatchObject({
      status: 'broken',
      detail: 'the preStop hook alone takes 40 s, grace period 30 s',
    });
  });

  it('checks the ServiceMonitor path against the metrics path given, and skips it when assumed', () => {
    const links = checkChain(input({ assumptions: { metricsPath: '/stats' } })).links;
    expect(broken(links)).toEqual([
      expect.objectContaining({
        link: 'servicemonitor-path',
        detail: 'scrapes /metrics, the workload serves /stats',
      }),
    ]);
    const elsewhere = structuredClone(monitor);
    const endpoint = elsewhere.spec.endpoints[0];
    if (endpoint) endpoint.path = '/stats';
    const assumed = checkChain(input({ manifests: [deployment, service, elsewhere, hpa] })).links;
    expect(assumed.find((l) => l.link === 'servicemonitor-path')).toMatchObject({
      status: 'skipped',
      detail: expect.stringContaining('whether the workload serves it is not known'),
    });
  });

  it('checks the Prometheus address only when it knows which Prometheus is meant', () => {
    const elsewhere = {
      ...adapterValues,
      prometheus: { url: 'http://prometheus.obs.svc', port: 9090 },
    };
    const unknown = checkChain({
      manifests: [deployment, service, monitor, hpa],
      adapterValues: elsewhere,
    });
    expect(unknown.links.find((l) => l.link === 'prometheus-address')?.status).toBe('skipped');
    const known = checkChain({
      manifests: [deployment, service, monitor, hpa],
      adapterValues: elsewhere,
      prometheus: { release: 'kps', namespace: 'obs' },
    });
    expect(known.links.find((l) => l.link === 'prometheus-address')).toMatchObject({
      status: 'broken',
      fix: 'point it at http://kps-kube-prometheus-prometheus.obs.svc:9090',
    });
  });
});
