import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPrometheus, type RunningPrometheus, startPrometheus } from './prometheus.js';
import { waitFor } from './wait.js';

/** A stand-in pod: serves `/metrics` with one gauge naming it. */
function fakePod(name: string): Promise<{ address: string; server: Server }> {
  const server = createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    response.end(`# TYPE testkit_pod gauge\ntestkit_pod{name="${name}"} 1\n`);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      resolve({ address: `127.0.0.1:${port}`, server });
    }),
  );
}

describe('findPrometheus', () => {
  it('says how to install Prometheus when PROMETHEUS_BIN is wrong', () => {
    const saved = process.env.PROMETHEUS_BIN;
    process.env.PROMETHEUS_BIN = '/nonexistent/prometheus';
    try {
      const found = findPrometheus();
      expect('error' in found && found.error).toMatch(/apt-get install -y prometheus/);
    } finally {
      if (saved === undefined) delete process.env.PROMETHEUS_BIN;
      else process.env.PROMETHEUS_BIN = saved;
    }
  });

  it('finds the Prometheus the kit needs (fails with how to install it)', () => {
    const found = findPrometheus();
    expect('error' in found ? found.error : 'found').toBe('found');
  });
});

describe('startPrometheus with file-based service discovery', () => {
  let prometheus: RunningPrometheus;
  const pods: { address: string; server: Server }[] = [];

  beforeAll(async () => {
    pods.push(await fakePod('a'), await fakePod('b'));
    prometheus = await startPrometheus({
      targets: [{ address: pods[0]?.address ?? '', labels: { pod: 'a', namespace: 'kit' } }],
      scrapeInterval: '500ms',
    });
  });

  afterAll(async () => {
    await prometheus?.stop();
    for (const pod of pods) pod.server.close();
  });

  it('scrapes the first targets with their labels', async () => {
    await prometheus.waitForTargets();
    await waitFor('a sample of pod a', async () => {
      const r = await prometheus.query('testkit_pod');
      return (r.data?.result.length ?? 0) > 0;
    });
    const r = await prometheus.query('testkit_pod');
    expect(r.data?.result.map((s) => [s.metric.pod, s.metric.namespace, s.metric.job])).toEqual([
      ['a', 'kit', 'model-server'],
    ]);
  });

  it('follows a rewritten targets file while it runs: pods come and go', async () => {
    prometheus.setTargets([
      { address: pods[1]?.address ?? '', labels: { pod: 'b', namespace: 'kit' } },
    ]);
    await prometheus.waitForTargets();
    expect((await prometheus.activeTargets()).map((t) => t.labels.pod)).toEqual(['b']);
    prometheus.setTargets([]);
    await prometheus.waitForTargets();
    expect(await prometheus.activeTargets()).toEqual([]);
  });

  it('removes its files when stopped', async () => {
    const { existsSync } = await import('node:fs');
    const file = prometheus.targetsFile;
    expect(existsSync(file)).toBe(true);
    await prometheus.stop();
    expect(existsSync(file)).toBe(false);
    expect(prometheus.child.exitCode !== null || prometheus.child.signalCode !== null).toBe(true);
  });
});
