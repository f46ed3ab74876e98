import { describe, expect, it } from 'vitest';
import { parseGoBool, readScaledObject } from './keda.js';

function scaledObject(trigger: Record<string, unknown>, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name: 'so' },
    spec: {
      scaleTargetRef: { name: 'model-server' },
      triggers: [{ type: 'cpu', metadata: {} }, trigger],
      ...spec,
    },
  };
}

const prometheus = {
  type: 'prometheus',
  metadata: { serverAddress: 'http://prom:9090', query: 'sum(x)', threshold: '10' },
};

describe('readScaledObject', () => {
  it('applies KEDA defaults and names the metric by trigger index', () => {
    const result = readScaledObject(scaledObject(prometheus));
    expect(result).toEqual({
      ok: true,
      value: {
        name: 'so',
        scaleTargetRef: { name: 'model-server', kind: 'Deployment', apiVersion: 'apps/v1' },
        minReplicaCount: 0,
        maxReplicaCount: 100,
        pollingInterval: 30,
        cooldownPeriod: 300,
        prometheusTriggers: [
          {
            index: 1,
            metricName: 's1-prometheus',
            serverAddress: 'http://prom:9090',
            query: 'sum(x)',
            threshold: 10,
            activationThreshold: 0,
            ignoreNullValues: true,
            metricType: 'AverageValue',
            unsafeSsl: false,
          },
        ],
        otherTriggers: [{ index: 0, type: 'cpu' }],
      },
    });
  });

  it('reads ignoreNullValues, fallback and behavior', () => {
    const result = readScaledObject(
      scaledObject(
        {
          ...prometheus,
          metadata: { ...prometheus.metadata, ignoreNullValues: 'F', activationThreshold: '0.5' },
        },
        {
          fallback: { failureThreshold: 3, replicas: 6 },
          advanced: { horizontalPodAutoscalerConfig: { behavior: { scaleUp: {} } } },
        },
      ),
    );
    expect(result).toMatchObject({
      ok: true,
      value: {
        fallback: { failureThreshold: 3, replicas: 6 },
        behavior: { scaleUp: {} },
        prometheusTriggers: [{ ignoreNullValues: false, activationThreshold: 0.5 }],
      },
    });
  });

  it.each([
    [
      { ...prometheus, metadata: { ...prometheus.metadata, threshold: 10 } },
      /threshold must be a string/,
    ],
    [
      { ...prometheus, metadata: { ...prometheus.metadata, threshold: 'ten' } },
      /threshold must be a number/,
    ],
    [{ ...prometheus, metadata: { query: 'x', threshold: '1' } }, /serverAddress is missing/],
    [
      { ...prometheus, metadata: { ...prometheus.metadata, ignoreNullValues: 'yes' } },
      /ignoreNullValues must be true or false/,
    ],
    [{ ...prometheus, metricType: 'Utilization' }, /metricType must be AverageValue or Value/],
  ])('rejects %j', (trigger, message) => {
    const result = readScaledObject(scaledObject(trigger));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(message);
  });

  it('parses booleans as strconv.ParseBool', () => {
    expect(['1', 't', 'TRUE', 'True'].map(parseGoBool)).toEqual([true, true, true, true]);
    expect(['0', 'f', 'FALSE', 'False'].map(parseGoBool)).toEqual([false, false, false, false]);
    expect(parseGoBool('tRuE')).toBeUndefined();
  });
});
