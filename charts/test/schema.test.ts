// Values that would break the chain are refused before anything is applied, each with an error that
// names the value and says why: by values.schema.json (helm validates it on install, upgrade,
// template and lint), or, where values must agree with each other, by the chart's own checks
// (model-server.validate in _helpers.tpl).
import { describe, expect, it } from 'vitest';
import { chartDir, helm } from './helm.js';

async function refused(args: readonly string[]): Promise<string> {
  const ran = await helm(['template', 'model-server', chartDir, ...args]);
  expect(
    ran.code,
    `helm template ${args.join(' ')} was accepted:\n${ran.stdout.slice(0, 400)}`,
  ).not.toBe(0);
  return ran.stderr;
}

describe('values.schema.json refuses', () => {
  it.each([
    [
      'an unknown top-level key',
      ['--set', 'replicaCount=3'],
      "additional properties 'replicaCount' not allowed",
    ],
    [
      'a misspelt nested key',
      ['--set', 'autoscaling.maxReplica=5'],
      "at '/autoscaling': additional properties 'maxReplica' not allowed",
    ],
    [
      'a wrong type',
      ['--set', 'autoscaling.minReplicas=two'],
      "at '/autoscaling/minReplicas': got string, want integer",
    ],
    [
      'zero replicas at least',
      ['--set', 'autoscaling.minReplicas=0'],
      "at '/autoscaling/minReplicas': minimum: got 0, want 1",
    ],
    [
      'an HPA metric that no rule serves',
      ['--set-json', 'autoscaling.metrics=[{"name":"request_latency","averageValue":"1"}]'],
      "at '/autoscaling/metrics/0/name': value must be one of",
    ],
    [
      'a target that is no quantity',
      [
        '--set-json',
        'autoscaling.metrics=[{"name":"request_queue_depth_avg","averageValue":"ten"}]',
      ],
      "at '/autoscaling/metrics/0/averageValue': 'ten' does not match pattern",
    ],
    [
      'an unknown autoscaler',
      ['--set', 'autoscaling.engine=vpa'],
      "at '/autoscaling/engine': value must be one of 'hpa', 'keda', 'none'",
    ],
    [
      'a scrape interval that is not seconds',
      ['--set', 'metrics.scrapeInterval=1m'],
      "at '/metrics/scrapeInterval': '1m' does not match pattern",
    ],
    [
      'an unknown output',
      ['--set', 'output=all'],
      "at '/output': value must be one of 'manifests', 'prometheus-adapter-values'",
    ],
    [
      'a model name with spaces',
      ['--set', 'model.name=my model'],
      "at '/model/name': 'my model' does not match pattern",
    ],
  ])('%s', async (_what, args, message) => {
    const stderr = await refused(args);
    expect(stderr).toContain("values don't meet the specifications of the schema(s)");
    expect(stderr).toContain(message);
  });
});

describe('the chart refuses values that disagree with each other', () => {
  it.each([
    [
      'a GPU signal without GPUs',
      [
        '--set-json',
        'autoscaling.metrics=[{"name":"gpu_utilization_percent","averageValue":"70"}]',
      ],
      'autoscaling.metrics[0].name "gpu_utilization_percent" is a GPU signal but gpu.enabled is false',
    ],
    [
      'a ServiceMonitor and a PodMonitor for the same pods',
      ['--set', 'metrics.podMonitor.enabled=true'],
      'metrics.serviceMonitor.enabled and metrics.podMonitor.enabled are both true',
    ],
    [
      'no way for Prometheus to find the pods',
      [
        '--set',
        'metrics.serviceMonitor.enabled=false',
        '--set',
        'metrics.podAnnotations.enabled=false',
      ],
      'Prometheus would not scrape the pods and the HPA would read <unknown>',
    ],
    [
      'a queue window with fewer than three scrapes',
      ['--set', 'metrics.scrapeInterval=10s'],
      'request_queue_depth_avg averages over 15 s and needs three scrapes in that window; metrics.scrapeInterval is 10s',
    ],
    [
      'a scrape timeout as long as the interval',
      ['--set', 'metrics.scrapeTimeout=5s'],
      'metrics.scrapeTimeout (5s) must be shorter than metrics.scrapeInterval (5s)',
    ],
    [
      'more replicas at least than at most',
      ['--set', 'autoscaling.minReplicas=4', '--set', 'autoscaling.maxReplicas=3'],
      'autoscaling.minReplicas (4) is above autoscaling.maxReplicas (3)',
    ],
    [
      'an extra env variable the chart already sets',
      ['--set-json', 'extraEnv=[{"name":"WORKERS","value":"8"}]'],
      'extraEnv[0].name WORKERS is set by the chart from its values',
    ],
  ])('%s', async (_what, args, message) => {
    expect(await refused(args)).toContain(message);
  });

  it('also when rendering the prometheus-adapter values', async () => {
    expect(
      await refused([
        '--set',
        'output=prometheus-adapter-values',
        '--set',
        'metrics.scrapeInterval=10s',
      ]),
    ).toContain('needs three scrapes');
  });
});
