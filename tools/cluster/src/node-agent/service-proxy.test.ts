import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { backends } from './service-proxy.js';

function pod(
  name: string,
  ip: string,
  ready: boolean,
  extra: Partial<V1Pod['metadata']> = {},
): V1Pod {
  return {
    metadata: { name, namespace: 'default', labels: { app: 'm' }, ...extra },
    spec: { containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 }] }] },
    status: {
      podIP: ip,
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  };
}

const service: V1Service = {
  metadata: { name: 'm', namespace: 'default' },
  spec: {
    selector: { app: 'm' },
    ports: [{ name: 'http', port: 80, targetPort: 'http' as never }],
  },
};

describe('backends (what kube-proxy routes a Service to)', () => {
  it('ready pods the selector matches, the named targetPort resolved; not unready, terminating or other namespaces', () => {
    const pods = [
      pod('a', '127.70.0.2', true),
      pod('b', '127.70.0.3', false),
      pod('c', '127.70.0.4', true, { deletionTimestamp: new Date() }),
      pod('d', '127.70.0.5', true, { namespace: 'other' }),
      pod('e', '127.70.0.6', true, { labels: { app: 'x' } }),
    ];
    const port = service.spec?.ports?.[0];
    if (!port) throw new Error('no port');
    expect(backends(service, port, pods)).toEqual([{ ip: '127.70.0.2', port: 8080 }]);
  });
});
