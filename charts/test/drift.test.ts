// The chart and infra/ must not drift: the chart with its defaults renders what `kubectl kustomize
// infra/base` builds, and with examples/gpu.yaml what infra/overlays/gpu builds, field by field, but
// for what a chart names differently on purpose (its labels and selectors: app.kubernetes.io/name and
// instance, so two releases never select each other's pods; MODEL_VERSION written out). Its
// prometheus-adapter values are infra/helm/prometheus-adapter-values.yaml's, and its dashboard
// infra/dashboards/model-server.json, byte for byte. (Why a test and not infra/base rendered from the
// chart: charts/model-server/README.md, "The chart and infra/".)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { chartDir, type Doc, only, parseDocs, repoDir, template } from './helm.js';

const KUBECTL_MISSING =
  'kubectl not found: the drift test builds infra/base with `kubectl kustomize`. Install a current ' +
  "kubectl (Debian's kubernetes-client 1.20 is too old): the pkgs.k8s.io apt repository, then " +
  'apt-get install kubectl (the root README, "Try it").';

function kustomize(path: string): Doc[] {
  let text: string;
  try {
    text = execFileSync('kubectl', ['kustomize', join(repoDir, path)], { encoding: 'utf8' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(KUBECTL_MISSING);
    throw error;
  }
  return parseDocs(text);
}

/** An object without what the chart names differently on purpose: labels, selectors; env by name. */
function comparable(doc: Doc): Doc {
  const copy = structuredClone(doc);
  delete copy.metadata.labels;
  delete copy.metadata.namespace;
  if (copy.spec?.selector) delete copy.spec.selector;
  const pod = copy.spec?.template;
  if (pod) {
    delete pod.metadata.labels;
    for (const spread of pod.spec.topologySpreadConstraints ?? []) delete spread.labelSelector;
    for (const container of pod.spec.containers) {
      // By name: a kustomize patch puts its variables first (no value refers to another: $(VAR)).
      container.env = container.env
        .filter((e: { name: string }) => e.name !== 'MODEL_VERSION')
        .sort((a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name));
    }
  }
  return copy;
}

function pairs(chart: Doc[], infra: Doc[]): [string, Doc, Doc][] {
  return infra
    .filter((doc) => doc.kind !== 'PrometheusRule')
    .map((doc) => [doc.kind, comparable(only(chart, doc.kind)), comparable(doc)]);
}

describe('the chart renders what infra/ applies', () => {
  it.each([
    ['infra/base', []],
    ['infra/overlays/gpu', ['-f', join(chartDir, 'examples/gpu.yaml')]],
  ] as const)('%s', async (path, args) => {
    const infra = kustomize(path);
    const chart = parseDocs(await template(args));
    const compared = pairs(chart, infra);
    expect(compared.map(([kind]) => kind).sort()).toEqual([
      'Deployment',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'Service',
      'ServiceMonitor',
    ]);
    for (const [kind, fromChart, fromInfra] of compared) {
      expect(fromChart, `${kind} of the chart against ${path}`).toEqual(fromInfra);
    }
    // The selectors the chart names differently still select its own pods.
    const podLabels = only(chart, 'Deployment').spec.template.metadata.labels;
    for (const doc of chart) {
      const selector =
        doc.spec?.selector?.matchLabels ?? (doc.kind === 'Service' ? doc.spec.selector : undefined);
      if (!selector) continue;
      expect(podLabels, `${doc.kind} selector`).toMatchObject(selector);
    }
  });

  it("the alerts: infra/alerts with the release as the names (its HPA, and KEDA's <name>-keda)", async () => {
    const [infra] = kustomize('infra/alerts');
    const chart = only(parseDocs(await template()), 'PrometheusRule');
    const rules = (doc: Doc) =>
      JSON.stringify(doc.spec).replaceAll('model-server(-hpa|-keda)?', 'model-server(-keda)?');
    expect(JSON.parse(rules(chart))).toEqual(JSON.parse(rules(infra as Doc)));
    expect(chart.metadata.labels.release).toBe('prometheus');
  });

  it('the prometheus-adapter values are infra/helm/prometheus-adapter-values.yaml', async () => {
    const chart = parse(await template(['--set', 'output=prometheus-adapter-values']));
    const infra = parse(
      readFileSync(join(repoDir, 'infra/helm/prometheus-adapter-values.yaml'), 'utf8'),
    );
    expect(chart).toEqual(infra);
  });

  it('the dashboard is infra/dashboards/model-server.json, in a ConfigMap for the Grafana sidecar', async () => {
    const configMap = parseDocs(await template()).find((doc) => doc.kind === 'ConfigMap');
    expect(configMap?.metadata.labels.grafana_dashboard).toBe('1');
    const infra = readFileSync(join(repoDir, 'infra/dashboards/model-server.json'), 'utf8');
    expect(`${configMap?.data['model-server.json']}\n`).toBe(infra);
  });
});
