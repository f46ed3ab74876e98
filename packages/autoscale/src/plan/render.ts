/**
 * Writes a plan as manifests a person can read and apply: an HPA and the prometheus-adapter rules
 * it needs, or a KEDA ScaledObject, every number with a YAML comment saying where it came from.
 * What is written is read back with the package's own parsers (HPA controller, adapter rules and
 * rendering, KEDA triggers, PromQL check) before it is returned, so a plan that would not work is
 * an error here, not in a cluster.
 */

import type { HorizontalPodAutoscaler } from '@mlscale/hpa';
import { HpaController } from '@mlscale/hpa';
import { SERIES } from '@mlscale/metric-contract';
import {
  Document,
  isMap,
  isNode,
  isScalar,
  parseAllDocuments,
  type Scalar,
  type YAMLMap,
} from 'yaml';
import { readScaledObject } from '../adapter/keda.js';
import { renderExternalMetricsQuery, renderMetricsQuery } from '../adapter/render.js';
import { type AdapterRule, parseAdapterValues } from '../adapter/rules.js';
import { discoverMetrics } from '../adapter/series.js';
import { round } from '../capacity/model.js';
import { formatSlo } from '../capacity/slo.js';
import { checkPromql } from '../promql/check.js';
import { signalFromQuery, simulatedSeries } from '../simulate/signals.js';
import { hpaFromScaledObject } from '../watch/watcher.js';
import { forecastAdapterRule, forecastMetricSpec, forecastTrigger } from './forecast.js';
import type { AutoscalingPlan } from './plan.js';

/** Where the manifests point. */
export interface PlanTarget {
  /** Deployment (and HPA / ScaledObject) name (default `model-server`). */
  name?: string;
  /** Namespace, written into KEDA queries (default `default`). */
  namespace?: string;
  /** Prometheus URL for KEDA (default the kube-prometheus-stack service). */
  prometheusUrl?: string;
}

/** The files of a plan. */
export interface PlanManifests {
  /** File name → YAML text (`hpa.yaml` and `prometheus-adapter-values.yaml`, or `scaledobject.yaml`). */
  files: Record<string, string>;
}

const latency = SERIES.httpDuration.name;
const depthSeconds = SERIES.queueDepthSeconds.name;
// The names the adapter serves them under (what the HPA reads).
const LATENCY_METRIC = `${latency}_avg`;
const DEPTH_METRIC = `${SERIES.queueDepth.name}_avg`;
// Served under its own name (infra/helm/prometheus-adapter-values.yaml).
const GPU_SHARE_METRIC = SERIES.gpuProcessUtilization.name;

/** A Kubernetes quantity in milli-units: 9.296 → `9296m`. */
function milli(value: number): string {
  return `${Math.round(value * 1000)}m`;
}

function setComment(doc: Document, path: readonly (string | number)[], text: string): void {
  const parent = doc.getIn(path.slice(0, -1), true);
  const key = path[path.length - 1];
  if (isMap(parent)) {
    const pair = (parent as YAMLMap).items.find((p) => isScalar(p.key) && p.key.value === key);
    if (pair && isScalar(pair.key)) {
      (pair.key as Scalar).commentBefore = text
        .split('\n')
        .map((line) => ` ${line}`)
        .join('\n');
      return;
    }
  }
  const node = doc.getIn(path, true);
  if (isNode(node)) node.commentBefore = ` ${text}`;
}

function behavior(plan: AutoscalingPlan) {
  return {
    scaleUp: {
      stabilizationWindowSeconds: plan.scaleUp.stabilizationWindowSeconds.value,
      selectPolicy: plan.scaleUp.selectPolicy?.value ?? 'Max',
      policies: [
        {
          type: 'Pods',
          value: plan.scaleUp.pods.value,
          periodSeconds: plan.scaleUp.periodSeconds.value,
        },
        {
          type: 'Percent',
          value: plan.scaleUp.percent.value,
          periodSeconds: plan.scaleUp.periodSeconds.value,
        },
      ],
    },
    scaleDown: {
      stabilizationWindowSeconds: plan.scaleDown.stabilizationWindowSeconds.value,
      policies: [
        {
          type: 'Percent',
          value: plan.scaleDown.percent.value,
          periodSeconds: plan.scaleDown.periodSeconds.value,
        },
      ],
    },
  };
}

function commentBehavior(
  doc: Document,
  base: readonly (string | number)[],
  plan: AutoscalingPlan,
): void {
  setComment(
    doc,
    [...base, 'scaleUp', 'stabilizationWindowSeconds'],
    plan.scaleUp.stabilizationWindowSeconds.why,
  );
  setComment(doc, [...base, 'scaleUp', 'policies', 0, 'value'], plan.scaleUp.pods.why);
  setComment(
    doc,
    [...base, 'scaleUp', 'policies', 0, 'periodSeconds'],
    plan.scaleUp.periodSeconds.why,
  );
  setComment(doc, [...base, 'scaleUp', 'policies', 1, 'value'], plan.scaleUp.percent.why);
  if (plan.scaleUp.selectPolicy)
    setComment(doc, [...base, 'scaleUp', 'selectPolicy'], plan.scaleUp.selectPolicy.why);
  setComment(
    doc,
    [...base, 'scaleDown', 'stabilizationWindowSeconds'],
    plan.scaleDown.stabilizationWindowSeconds.why,
  );
  setComment(doc, [...base, 'scaleDown', 'policies', 0, 'value'], plan.scaleDown.percent.why);
}

function header(plan: AutoscalingPlan, what: string): string {
  const lines = [
    ` ${what}, written by mlscale plan for ${formatSlo(plan.slo)}.`,
    ...(plan.caveat ? [` WARNING: ${plan.caveat}.`] : []),
    ` ${plan.capacityRps.why}.`,
    ` Per-pod rate held: ${round(plan.targetRps.value)} req/s (${plan.targetRps.why}).`,
    ` Why that rate: ${plan.sloRps.why}.`,
  ];
  if (plan.burst) lines.push(` Burst: ${plan.burst.why}.`);
  return lines.join('\n');
}

function hpaDocument(plan: AutoscalingPlan, name: string): Document {
  const hpa: HorizontalPodAutoscaler = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: plan.minReplicas.value,
      maxReplicas: plan.maxReplicas.value,
      behavior: behavior(plan) as HorizontalPodAutoscaler['spec']['behavior'],
      metrics: [
        {
          type: 'Pods',
          pods: {
            metric: { name: DEPTH_METRIC },
            target: { type: 'AverageValue', averageValue: milli(plan.depthTarget.value) },
          },
        },
        {
          type: 'Pods',
          pods: {
            metric: { name: LATENCY_METRIC },
            target: { type: 'AverageValue', averageValue: milli(plan.latencyTarget.value) },
          },
        },
      ],
    },
  };
  if (plan.gpuShareTarget) {
    hpa.spec.metrics?.push({
      type: 'Pods',
      pods: {
        metric: { name: GPU_SHARE_METRIC },
        target: { type: 'AverageValue', averageValue: milli(plan.gpuShareTarget.value) },
      },
    });
  }
  if (plan.forecast) hpa.spec.metrics?.push(forecastMetricSpec(plan.forecast));
  const doc = new Document(hpa);
  doc.commentBefore = header(plan, 'HorizontalPodAutoscaler');
  if (plan.forecast) {
    const index = (hpa.spec.metrics?.length ?? 1) - 1;
    setComment(
      doc,
      ['spec', 'metrics', index, 'external', 'target', 'averageValue'],
      `1 pod per pod asked for: ${plan.forecast.why}`,
    );
  }
  if (plan.gpuShareTarget) {
    setComment(
      doc,
      ['spec', 'metrics', 2, 'pods', 'target', 'averageValue'],
      `${round(plan.gpuShareTarget.value)} %: ${plan.gpuShareTarget.why}`,
    );
  }
  setComment(doc, ['spec', 'minReplicas'], plan.minReplicas.why);
  setComment(doc, ['spec', 'maxReplicas'], plan.maxReplicas.why);
  commentBehavior(doc, ['spec', 'behavior'], plan);
  setComment(
    doc,
    ['spec', 'metrics', 0, 'pods', 'target', 'averageValue'],
    `${round(plan.depthTarget.value)}: ${plan.depthTarget.why}`,
  );
  setComment(
    doc,
    ['spec', 'metrics', 1, 'pods', 'target', 'averageValue'],
    `${round(plan.latencyTarget.value * 1000)} ms: ${plan.latencyTarget.why}`,
  );
  return doc;
}

function adapterDocument(plan: AutoscalingPlan, name: string): Document {
  const window = `${plan.depthWindowSeconds.value}s`;
  const resources = {
    overrides: { namespace: { resource: 'namespace' }, pod: { resource: 'pod' } },
  };
  const values = {
    rules: {
      default: false,
      custom: [
        {
          seriesQuery: `${depthSeconds}{namespace!="",pod!=""}`,
          resources,
          name: { matches: `^${depthSeconds}$`, as: DEPTH_METRIC },
          metricsQuery: `sum(rate(<<.Series>>{<<.LabelMatchers>>}[${window}])) by (<<.GroupBy>>)`,
        },
        {
          seriesQuery: `${latency}_sum{namespace!="",pod!=""}`,
          resources,
          name: { matches: `^${latency}_sum$`, as: LATENCY_METRIC },
          metricsQuery: `(sum(rate(${latency}_sum{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>) / (sum(rate(${latency}_count{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>) > 0)) or (0 * sum(rate(${depthSeconds}{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>))`,
        },
      ],
    },
  };
  if (plan.gpuShareTarget) {
    const selected = '<<.LabelMatchers>>';
    const byPod = '<<.GroupBy>>';
    values.rules.custom.push({
      seriesQuery: `${GPU_SHARE_METRIC}{namespace!="",pod!=""}`,
      resources,
      name: { matches: `^${GPU_SHARE_METRIC}$`, as: GPU_SHARE_METRIC },
      metricsQuery: `avg(<<.Series>>{${selected}}) by (${byPod}) and on (${byPod}) (min(${SERIES.gpuProcessAttributed.name}{${selected}}) by (${byPod}) == 1) and on (${byPod}) (max(${SERIES.gpuProbeUp.name}{${selected}}) by (${byPod}) == 1)`,
    });
  }
  const external = plan.forecast ? [forecastAdapterRule(plan.forecast, name)] : [];
  const doc = new Document(
    external.length > 0 ? { rules: { ...values.rules, external } } : values,
    { aliasDuplicateObjects: false },
  );
  if (plan.forecast) {
    setComment(doc, ['rules', 'external', 0], `${plan.forecast.metric}: ${plan.forecast.why}`);
  }
  if (plan.gpuShareTarget) {
    setComment(
      doc,
      ['rules', 'custom', 2],
      `${GPU_SHARE_METRIC}: the pod's own share of its GPU (needs hostPID: the probe finds its PID as NVML reports it only there), while attributed and read`,
    );
  }
  doc.commentBefore = `${header(plan, 'prometheus-adapter Helm values (rules for the HPA above)')}\n Merge rules.custom into your values; the Prometheus URL is yours.`;
  setComment(
    doc,
    ['rules', 'custom', 0],
    `${DEPTH_METRIC}: mean queue depth over ${window} from its time integral (${plan.depthWindowSeconds.why})`,
  );
  setComment(
    doc,
    ['rules', 'custom', 1],
    `${LATENCY_METRIC}: mean end-to-end latency over 1m; 0, not NaN, when a pod served nothing (NaN would be dropped and block every scale-down)`,
  );
  return doc;
}

function kedaDocument(plan: AutoscalingPlan, target: Required<PlanTarget>): Document {
  const selector = `namespace="${target.namespace}",pod=~"${target.name}-.*"`;
  const window = `${plan.depthWindowSeconds.value}s`;
  const so = {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name: target.name },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target.name },
      minReplicaCount: plan.minReplicas.value,
      maxReplicaCount: plan.maxReplicas.value,
      pollingInterval: plan.scaleUp.periodSeconds.value,
      advanced: { horizontalPodAutoscalerConfig: { behavior: behavior(plan) } },
      triggers: [
        {
          type: 'prometheus',
          name: 'queue-depth-avg',
          metricType: 'AverageValue',
          metadata: {
            serverAddress: target.prometheusUrl,
            query: `sum(rate(${depthSeconds}{${selector}}[${window}]))`,
            threshold: String(round(plan.depthTarget.value)),
            ignoreNullValues: 'false',
          },
        },
        {
          type: 'prometheus',
          name: 'e2e-latency',
          metricType: 'AverageValue',
          metadata: {
            serverAddress: target.prometheusUrl,
            query: `sum((sum by (pod) (rate(${latency}_sum{${selector}}[1m])) / (sum by (pod) (rate(${latency}_count{${selector}}[1m])) > 0)) or (0 * sum by (pod) (rate(${depthSeconds}{${selector}}[1m]))))`,
            threshold: String(round(plan.latencyTarget.value)),
            ignoreNullValues: 'false',
          },
        },
      ],
    },
  };
  if (plan.forecast) so.spec.triggers.push(forecastTrigger(plan.forecast, target));
  const doc = new Document(so);
  if (plan.forecast) {
    setComment(
      doc,
      ['spec', 'triggers', 2, 'metadata', 'threshold'],
      `1 pod per pod asked for: ${plan.forecast.why}`,
    );
  }
  doc.commentBefore = `${header(plan, 'KEDA ScaledObject')}\n AverageValue: the HPA KEDA creates divides each query's total over the pods by the replicas.`;
  setComment(doc, ['spec', 'minReplicaCount'], plan.minReplicas.why);
  setComment(doc, ['spec', 'maxReplicaCount'], plan.maxReplicas.why);
  setComment(doc, ['spec', 'pollingInterval'], 'KEDA polls as often as the HPA syncs');
  commentBehavior(doc, ['spec', 'advanced', 'horizontalPodAutoscalerConfig', 'behavior'], plan);
  setComment(
    doc,
    ['spec', 'triggers', 0, 'metadata', 'threshold'],
    `${plan.depthTarget.why}; ${plan.depthWindowSeconds.why}`,
  );
  setComment(doc, ['spec', 'triggers', 1, 'metadata', 'threshold'], plan.latencyTarget.why);
  setComment(
    doc,
    ['spec', 'triggers', 0, 'metadata', 'ignoreNullValues'],
    'an empty result (Prometheus lost the pods) is an error, not 0 (which would scale down)',
  );
  return doc;
}

function readBackHpa(text: string): HorizontalPodAutoscaler {
  const docs = parseAllDocuments(text);
  const first = Array.isArray(docs) ? docs[0] : docs;
  if (!first || first.errors.length > 0)
    throw new Error(`plan wrote invalid YAML: ${first?.errors[0]?.message}`);
  const hpa = first.toJS() as HorizontalPodAutoscaler;
  new HpaController(hpa);
  return hpa;
}

/** The forecast's external rule, discovered, rendered and read as the adapter and simulator would. */
function readBackForecast(
  external: readonly AdapterRule[],
  metric: string,
  target: Required<PlanTarget>,
): void {
  const { metrics, errors } = discoverMetrics(external, simulatedSeries(`${target.name}-0`));
  if (errors.length > 0)
    throw new Error(`plan wrote an external rule that does not compile: ${errors[0]}`);
  const served = metrics.find((m) => m.metric === metric);
  if (!served) throw new Error(`plan wrote no external rule serving ${metric}`);
  const rendered = renderExternalMetricsQuery(served.rule, {
    series: served.series,
    namespace: target.namespace,
  });
  if (!rendered.ok) throw new Error(`plan wrote a rule that does not render: ${rendered.error}`);
  checkQuery(rendered.value, metric);
}

function checkQuery(query: string, what: string): void {
  const checked = checkPromql(query);
  if (!checked.ok)
    throw new Error(`plan wrote an invalid query for ${what}: ${checked.errors[0]?.message}`);
  const signal = signalFromQuery(query);
  if (!signal.ok)
    throw new Error(`plan wrote a query the simulator cannot read for ${what}: ${signal.error}`);
}

/**
 * Writes the plan's manifests and reads them back with the package's own parsers.
 *
 * @param plan - from `planAutoscaling`
 * @param options - `keda` for a ScaledObject instead of an HPA and adapter rules; names
 * @returns file name → YAML text
 * @throws Error when what was written does not read back (a bug)
 * @example
 * renderPlan(plan).files['hpa.yaml'];
 */
export function renderPlan(
  plan: AutoscalingPlan,
  options: PlanTarget & { keda?: boolean } = {},
): PlanManifests {
  const target: Required<PlanTarget> = {
    name: options.name ?? 'model-server',
    namespace: options.namespace ?? 'default',
    prometheusUrl:
      options.prometheusUrl ?? 'http://prometheus-kube-prometheus-prometheus.monitoring.svc:9090',
  };
  if (options.keda) {
    const text = kedaDocument(plan, target).toString({ lineWidth: 0 });
    const parsed = readScaledObject(parseAllDocuments(text)[0]?.toJS());
    if (!parsed.ok) throw new Error(`plan wrote an invalid ScaledObject: ${parsed.error}`);
    new HpaController(hpaFromScaledObject(parsed.value));
    for (const trigger of parsed.value.prometheusTriggers)
      checkQuery(trigger.query, trigger.metricName);
    return { files: { 'scaledobject.yaml': text } };
  }
  const hpaText = hpaDocument(plan, target.name).toString({ lineWidth: 0 });
  const hpa = readBackHpa(hpaText);
  const adapterText = adapterDocument(plan, target.name).toString({ lineWidth: 0 });
  const values = parseAdapterValues(adapterText);
  if (!values.ok) throw new Error(`plan wrote invalid adapter values: ${values.error}`);
  const { metrics, errors } = discoverMetrics(
    values.value.custom,
    simulatedSeries(`${target.name}-0`),
  );
  if (errors.length > 0)
    throw new Error(`plan wrote adapter rules that do not compile: ${errors[0]}`);
  if (plan.forecast) readBackForecast(values.value.external, plan.forecast.metric, target);
  for (const spec of hpa.spec.metrics ?? []) {
    if (spec.type === 'External') continue;
    const name = spec.pods?.metric.name ?? '';
    const served = metrics.find((m) => m.metric === name);
    if (!served) throw new Error(`plan wrote no adapter rule serving ${name}`);
    const rendered = renderMetricsQuery(served.rule, {
      series: served.series,
      namespace: target.namespace,
      names: [`${target.name}-0`],
    });
    if (!rendered.ok) throw new Error(`plan wrote a rule that does not render: ${rendered.error}`);
    checkQuery(rendered.value, name);
  }
  return { files: { 'hpa.yaml': hpaText, 'prometheus-adapter-values.yaml': adapterText } };
}
