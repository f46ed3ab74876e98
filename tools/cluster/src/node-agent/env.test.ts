import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { containerEnv } from './env.js';

const pod: V1Pod = {
  metadata: { name: 'web-1', namespace: 'ns', uid: 'u1', labels: { app: 'web' } },
  spec: { nodeName: 'n', containers: [] },
};

describe('containerEnv', () => {
  it('resolves values, $(VAR) references and the downward API', () => {
    const container: V1Container = {
      name: 'c',
      env: [
        { name: 'PORT', value: '8080' },
        { name: 'URL', value: 'http://x:$(PORT)/$$(PORT)' },
        { name: 'HOST', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'CPUS', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
      ],
      resources: { limits: { cpu: '1500m' } },
    };
    const env = containerEnv(pod, container, '127.70.0.2');
    expect(env).toMatchObject({
      PORT: '8080',
      URL: 'http://x:8080/$(PORT)',
      HOST: '127.70.0.2',
      POD: 'web-1',
      APP: 'web',
      CPUS: '2',
      HOSTNAME: 'web-1',
    });
  });

  it('refuses the sources it does not read, naming them, instead of an empty variable', () => {
    const container: V1Container = {
      name: 'c',
      env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }],
    };
    expect(() => containerEnv(pod, container, '127.70.0.2')).toThrow(
      /TOKEN comes from secretKeyRef/,
    );
    expect(() => containerEnv(pod, { name: 'c', envFrom: [{}] }, '127.70.0.2')).toThrow(/envFrom/);
  });
});
