/**
 * `mlscale watch`: every sync period, what the HPA would do with the values the metrics
 * pipeline serves now.
 */

import type { HorizontalPodAutoscaler, MetricSpec } from '@mlscale/hpa';
import {
  describeDecision,
  formatTargets,
  HpaController,
  type HpaControllerOptions,
  type HpaDecision,
} from '@mlscale/hpa';
import type { KedaScaledObject } from '../adapter/keda.js';
import { readLabelSelector } from '../adapter/render.js';
import type { AdapterRule } from '../adapter/rules.js';
import type { PrometheusClient } from '../prometheus/client.js';
import {
  type CollectedMetric,
  collectAdapterMetrics,
  collectExternalMetrics,
  collectKedaMetrics,
} from './collect.js';

/**
 * The HPA that KEDA creates for a ScaledObject: one `External` metric per trigger
 * (`s<index>-prometheus`, target = threshold), the replica bounds and the behavior.
 *
 * @param scaledObject - from `readScaledObject`
 * @returns an `autoscaling/v2` HorizontalPodAutoscaler
 * @example
 * new HpaController(hpaFromScaledObject(scaledObject));
 */
export function hpaFromScaledObject(scaledObject: KedaScaledObject): HorizontalPodAutoscaler {
  const metrics: MetricSpec[] = scaledObject.prometheusTriggers.map((trigger) => ({
    type: 'External',
    external: {
      metric: { name: trigger.metricName },
      target:
        trigger.metricType === 'Value'
          ? { type: 'Value', value: trigger.threshold }
          : { type: 'AverageValue', averageValue: trigger.threshold },
    },
  }));
  const hpa: HorizontalPodAutoscaler = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: `keda-hpa-${scaledObject.name}` },
    spec: {
      scaleTargetRef: scaledObject.scaleTargetRef,
      minReplicas: scaledObject.minReplicaCount,
      maxReplicas: scaledObject.maxReplicaCount,
      metrics,
    },
  };
  if (scaledObject.behavior)
    hpa.spec.behavior = scaledObject.behavior as HorizontalPodAutoscaler['spec']['behavior'];
  return hpa;
}

/** One sync of the watcher. */
export interface WatchTick {
  /** Seconds since the epoch. */
  time: number;
  /** Pods found. */
  pods: string[];
  /** Replicas the HPA saw as current. */
  currentReplicas: number;
  /** Per metric: query and values. */
  collected: Record<string, CollectedMetric>;
  /** The HPA's decision. */
  decision: HpaDecision;
  /**
   * What the line's figures rest on that the decision does not say: why no pod was found (then
   * REPLICAS is an assumed 1), for a person.
   */
  notes: string[];
}

/** Options of {@link Watcher}. */
export interface WatcherOptions {
  /** Prometheus client. */
  client: PrometheusClient;
  /** The HPA to evaluate (for KEDA: {@link hpaFromScaledObject}). */
  hpa: HorizontalPodAutoscaler;
  /** prometheus-adapter `rules.custom` (for an HPA on custom metrics). */
  rules?: readonly AdapterRule[];
  /** prometheus-adapter `rules.external` (for an HPA's `External` metrics). */
  externalRules?: readonly AdapterRule[];
  /** A KEDA ScaledObject (its triggers give the External metrics). */
  keda?: KedaScaledObject;
  /** Namespace of the pods. */
  namespace: string;
  /**
   * Current replicas. Default `'pods'`: the number of pods found (a real cluster). `'follow'`:
   * the HPA's own last decision, starting from the pods found (what the deployment would become).
   * A number fixes it.
   */
  replicas?: 'pods' | 'follow' | number;
  /** Controller flags. */
  controller?: HpaControllerOptions;
}

/**
 * Evaluates an HPA against live Prometheus data, keeping the controller's state between ticks.
 *
 * @example
 * const w = new Watcher({ client, hpa, rules: values.custom, namespace: 'default' });
 * const tick = await w.tick();
 * console.log(formatWatchLine(hpa, tick));
 */
export class Watcher {
  readonly #options: WatcherOptions;
  readonly #controller: HpaController;
  #last: number | undefined;

  /** @param options - client, HPA, adapter rules or KEDA ScaledObject, namespace, replica mode */
  constructor(options: WatcherOptions) {
    this.#options = options;
    this.#controller = new HpaController(options.hpa, options.controller);
  }

  /**
   * Collects the metrics and runs one HPA sync.
   *
   * @param time - seconds since the epoch (default now)
   * @returns what was found and decided
   * @throws PrometheusError when Prometheus cannot be reached
   */
  async tick(time = Date.now() / 1000): Promise<WatchTick> {
    const { hpa, namespace } = this.#options;
    const specs = hpa.spec.metrics ?? [];
    const { collected, pods, readsPods } = await this.#collect(specs);
    const mode = this.#options.replicas ?? 'pods';
    const found = Math.max(pods.length, 1);
    const currentReplicas =
      typeof mode === 'number' ? mode : mode === 'follow' ? (this.#last ?? found) : found;
    const decision = this.#controller.sync({
      time,
      currentReplicas,
      pods: (pods.length > 0
        ? pods
        : Array.from({ length: currentReplicas }, (_, i) => `pod-${i}`)
      ).map((name) => ({ name })),
      metrics: hpaMetricInput(specs, collected),
    });
    for (const metric of decision.metrics) {
      const entry = collected[metric.name];
      if (entry?.error && metric.error) metric.error = entry.error;
    }
    this.#last = decision.desiredReplicas;
    const notes: string[] = [];
    if (mode === 'pods' && pods.length === 0 && readsPods) {
      notes.push(
        `no pods found with series in namespace "${namespace}": REPLICAS is taken as 1 (see why under each metric; --replicas N fixes it)`,
      );
    }
    return { time, pods, currentReplicas, collected, decision, notes };
  }

  /**
   * Every metric the HPA reads, through the adapter rules (Pods and Object metrics, and the pods
   * found), the external rules or the ScaledObject's triggers.
   */
  async #collect(specs: readonly MetricSpec[]): Promise<{
    collected: Record<string, CollectedMetric>;
    pods: string[];
    /** Whether the HPA reads Pods or Object metrics (whose series name the pods). */
    readsPods: boolean;
  }> {
    const { client, namespace } = this.#options;
    const podMetricNames = specs.flatMap((m) =>
      m.type === 'Pods' && m.pods ? [m.pods.metric.name] : [],
    );
    const objectMetricNames = specs.flatMap((m) =>
      m.type === 'Object' && m.object ? [m.object.metric.name] : [],
    );
    const readsPods = podMetricNames.length > 0 || objectMetricNames.length > 0;
    let collected: Record<string, CollectedMetric> = {};
    let pods: string[] = [];
    if (this.#options.rules && readsPods) {
      const collection = await collectAdapterMetrics({
        client,
        rules: this.#options.rules,
        namespace,
        metrics: [...podMetricNames, ...objectMetricNames],
      });
      collected = collection.metrics;
      pods = collection.pods;
    }
    const externalMetrics = specs.flatMap((m) =>
      m.type === 'External' && m.external
        ? [
            {
              name: m.external.metric.name,
              selector: readLabelSelector(m.external.metric.selector),
            },
          ]
        : [],
    );
    if (this.#options.externalRules && externalMetrics.length > 0) {
      Object.assign(
        collected,
        await collectExternalMetrics({
          client,
          rules: this.#options.externalRules,
          namespace,
          metrics: externalMetrics,
        }),
      );
    }
    if (this.#options.keda) {
      Object.assign(collected, await collectKedaMetrics(client, this.#options.keda));
    }
    return { collected, pods, readsPods };
  }
}

/** The HPA's metric input: per pod for a Pods metric, the sum otherwise; a metric without values is left out. */
function hpaMetricInput(
  specs: readonly MetricSpec[],
  collected: Record<string, CollectedMetric>,
): Record<string, number | Record<string, number>> {
  const metrics: Record<string, number | Record<string, number>> = {};
  for (const spec of specs) {
    const name = spec.pods?.metric.name ?? spec.object?.metric.name ?? spec.external?.metric.name;
    const entry = name === undefined ? undefined : collected[name];
    if (!name || !entry || entry.error || Object.keys(entry.values).length === 0) continue;
    metrics[name] =
      spec.type === 'Pods' ? entry.values : Object.values(entry.values).reduce((a, b) => a + b, 0);
  }
  return metrics;
}

/** Column header matching {@link formatWatchLine} (for aligned columns, {@link formatWatchHeader}). */
export const WATCH_HEADER = [
  'TIME',
  'NAME',
  'REFERENCE',
  'TARGETS',
  'MINPODS',
  'MAXPODS',
  'REPLICAS',
  'DESIRED',
];

/** The width of each column for an HPA: its header, or the widest value the HPA can show there. */
function columnWidths(hpa: HorizontalPodAutoscaler): number[] {
  const ref = hpa.spec.scaleTargetRef;
  // A target reads at most `<unknown>/<target>`, plus ` (avg)` for an averaged Object/External one.
  const targets = (hpa.spec.metrics ?? []).map((m) => {
    const target = m.pods?.target ?? m.object?.target ?? m.external?.target ?? m.resource?.target;
    const value = String(target?.averageValue ?? target?.value ?? target?.averageUtilization ?? '');
    const averaged = target?.type === 'AverageValue' && m.type !== 'Pods';
    return '<unknown>/'.length + value.length + (averaged ? ' (avg)'.length : 0);
  });
  const targetsWidth = targets.reduce((a, b) => a + b, 0) + 2 * Math.max(0, targets.length - 1);
  return [
    8,
    (hpa.metadata?.name ?? 'hpa').length,
    ref ? `${ref.kind}/${ref.name}`.length : 1,
    Math.min(targetsWidth, 48),
    0,
    0,
    0,
    0,
  ].map((width, i) => Math.max(width, (WATCH_HEADER[i] ?? '').length));
}

function row(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
    .join('   ');
}

/**
 * The column header, aligned with {@link formatWatchLine}'s rows for this HPA.
 *
 * @param hpa - the HPA watched
 * @example console.log(formatWatchHeader(hpa));
 */
export function formatWatchHeader(hpa: HorizontalPodAutoscaler): string {
  return row(WATCH_HEADER, columnWidths(hpa));
}

/**
 * A line like `kubectl get hpa -w`, plus the desired replicas and, on the next lines, the reason:
 * the decision, every metric that has no value and why (also when the decision did not get as
 * far as the metrics), and the tick's notes.
 *
 * @param hpa - the HPA
 * @param tick - a tick from {@link Watcher.tick}
 * @returns the columns, aligned with {@link formatWatchHeader}, and the indented reasons
 * @example
 * console.log(formatWatchLine(hpa, await watcher.tick()));
 */
export function formatWatchLine(hpa: HorizontalPodAutoscaler, tick: WatchTick): string {
  const ref = hpa.spec.scaleTargetRef;
  const cells = [
    new Date(tick.time * 1000).toISOString().slice(11, 19),
    hpa.metadata?.name ?? 'hpa',
    ref ? `${ref.kind}/${ref.name}` : '-',
    formatTargets(tick.decision.metrics) || '<none>',
    String(hpa.spec.minReplicas ?? 1),
    String(hpa.spec.maxReplicas),
    String(tick.currentReplicas),
    String(tick.decision.desiredReplicas),
  ];
  const said = new Set(tick.decision.metrics.filter((m) => m.error).map((m) => m.name));
  const unsaid = Object.values(tick.collected).filter(
    (entry) => entry.error && !said.has(entry.metric),
  );
  return [
    row(cells, columnWidths(hpa)),
    `    ${describeDecision(tick.decision)}`,
    ...unsaid.map((entry) => `    ${entry.metric}: ${entry.error}`),
    ...(tick.notes ?? []).map((note) => `    ${note}`),
  ].join('\n');
}
