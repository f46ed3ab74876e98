/**
 * A small stateful model of one HPA in the Kubernetes controller (`reconcileAutoscaler` in
 * `pkg/controller/podautoscaler/horizontal.go`): it keeps the recommendation history and the
 * scale events between syncs, and for each sync returns the decision with its reasons.
 */
import {
  convertDesiredReplicasWithBehaviorRate,
  convertDesiredReplicasWithRules,
  DEFAULT_DOWNSCALE_STABILIZATION_SECONDS,
  type LimitResult,
  type ResolvedBehavior,
  resolveBehavior,
  stabilizeRecommendation,
  stabilizeRecommendationWithBehaviors,
  storeScaleEvent,
  type TimestampedRecommendation,
  type TimestampedScaleEvent,
} from './behavior.js';
import { parseQuantity, quantityToMilli, toMilli } from './quantity.js';
import {
  calcPlainMetricReplicas,
  DEFAULT_TOLERANCE,
  externalMetricReplicas,
  objectMetricReplicas,
  perPodMetricReplicas,
  type ReplicaCalculation,
} from './replica-calculator.js';
import type {
  HorizontalPodAutoscaler,
  HpaSpec,
  MetricSpec,
  MetricTarget,
  PodInfo,
  Tolerances,
} from './types.js';

/**
 * A metric's current value for one sync.
 * - `Pods` metric: a map or record of pod name → value, an array (pod i gets value i), or one
 *   number that every pod reports.
 * - `Object` metric: one number.
 * - `External` metric: one number, or an array of series values (summed, as upstream).
 */
export type MetricInput =
  | number
  | readonly number[]
  | Readonly<Record<string, number>>
  | ReadonlyMap<string, number>;

/** What the controller observes at one sync. */
export interface SyncInput {
  /** Time of the sync in seconds (any epoch; only differences matter). */
  time: number;
  /** `scale.spec.replicas` of the target. */
  currentReplicas: number;
  /** `status.currentReplicas` (pods that exist); defaults to `currentReplicas`. */
  statusReplicas?: number;
  /**
   * Pods the selector matches. Default: the names of the first per-pod record/map given, or
   * `pod-0` … `pod-{statusReplicas-1}`, all Running and ready.
   */
  pods?: readonly PodInfo[];
  /** Metric values keyed by the metric name in the spec; a missing key means the API returned nothing. */
  metrics: Readonly<Record<string, MetricInput | undefined>>;
}

/** One metric's part of a decision. */
export interface MetricEvaluation {
  /** `Pods`, `Object`, `External`, ... */
  type: MetricSpec['type'];
  /** Metric name. */
  name: string;
  /** `Value` or `AverageValue`. */
  targetType: MetricTarget['type'];
  /** The target, in the metric's unit. */
  target: number;
  /** The current value (average for `AverageValue`), in the metric's unit, as the HPA status shows it. */
  current?: number;
  /** Replicas this metric proposes. */
  proposal?: number;
  /** Why this metric gave no proposal. */
  error?: string;
}

/** What the stabilization step made of the proposal. */
export interface StabilizationStep {
  /** The recommendation after stabilization. */
  replicas: number;
  /** `ReadyForNewScale` when unchanged; otherwise which window held it. */
  reason: 'ReadyForNewScale' | 'ScaleUpStabilized' | 'ScaleDownStabilized';
  /** The window in seconds that applies in the proposal's direction. */
  windowSeconds: number;
}

/** The decision of one sync, with its reasons. */
export interface HpaDecision {
  /** Sync time (seconds). */
  time: number;
  /** Replicas before the sync. */
  currentReplicas: number;
  /** Per-metric values and proposals. */
  metrics: MetricEvaluation[];
  /** The largest valid proposal (before stabilization and limits). */
  proposal?: number;
  /** Upstream's name of the metric that gave the proposal, e.g. `pods metric request_queue_depth`. */
  proposalMetric?: string;
  /** Stabilization step (absent when no proposal was computed). */
  stabilization?: StabilizationStep;
  /** Bounds and rate-limit step (absent when no proposal was computed). */
  limit?: LimitResult;
  /** Replicas after the sync. */
  desiredReplicas: number;
  /** True when the target would be rescaled. */
  scaled: boolean;
  /** Upstream's rescale reason, or why nothing happened. */
  reason: string;
  /** Set when the metrics could not be used (`FailedComputeMetricsReplicas`). */
  error?: string;
}

/** Controller flags that change the decision. */
export interface HpaControllerOptions {
  /** `--horizontal-pod-autoscaler-tolerance` (default 0.1). */
  tolerance?: number;
  /** `--horizontal-pod-autoscaler-downscale-stabilization` in seconds (default 300). */
  downscaleStabilizationSeconds?: number;
}

interface MetricResult {
  calculation: ReplicaCalculation;
  evaluation: MetricEvaluation;
  metricName: string;
}

/**
 * One HorizontalPodAutoscaler as the Kubernetes controller runs it, sync after sync.
 *
 * @example
 * const hpa = new HpaController(parse(readFileSync('hpa.yaml', 'utf8')));
 * const d = hpa.sync({ time: 0, currentReplicas: 2, metrics: { request_queue_depth: [30, 20] } });
 * d.desiredReplicas; // 4 (guide's behavior: 2 pods per 60 s)
 */
export class HpaController {
  /** The HPA spec this controller runs. */
  readonly spec: HpaSpec;
  /** The behavior with API-server defaults applied, or undefined (legacy normalisation). */
  readonly behavior: ResolvedBehavior | undefined;
  /** Tolerances in effect. */
  readonly tolerances: Tolerances;
  readonly #downscaleWindow: number;
  #recommendations: TimestampedRecommendation[] | undefined;
  readonly #scaleUpEvents: TimestampedScaleEvent[] = [];
  readonly #scaleDownEvents: TimestampedScaleEvent[] = [];

  /**
   * @param hpa - a parsed `autoscaling/v2` HorizontalPodAutoscaler, or just its `spec`
   * @param options - controller flags (tolerance 0.1, downscale stabilization 300 s)
   * @throws Error when the spec lacks `maxReplicas` or has an invalid quantity
   */
  constructor(hpa: HorizontalPodAutoscaler | HpaSpec, options: HpaControllerOptions = {}) {
    const spec = 'spec' in hpa && typeof hpa.spec === 'object' ? hpa.spec : (hpa as HpaSpec);
    validateSpec(spec);
    this.spec = spec;
    this.#downscaleWindow =
      options.downscaleStabilizationSeconds ?? DEFAULT_DOWNSCALE_STABILIZATION_SECONDS;
    this.behavior = resolveBehavior(spec.behavior, this.#downscaleWindow);
    const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
    this.tolerances = {
      scaleUp:
        spec.behavior?.scaleUp?.tolerance !== undefined
          ? parseQuantity(spec.behavior.scaleUp.tolerance)
          : tolerance,
      scaleDown:
        spec.behavior?.scaleDown?.tolerance !== undefined
          ? parseQuantity(spec.behavior.scaleDown.tolerance)
          : tolerance,
    };
  }

  /**
   * Runs one sync (`reconcileAutoscaler`) and records its outcome in the controller's history.
   *
   * @param input - time, replicas, pods and metric values
   * @returns the decision and its reasons
   */
  sync(input: SyncInput): HpaDecision {
    const now = input.time * 1000;
    const currentReplicas = input.currentReplicas;
    if (this.#recommendations === undefined) {
      this.#recommendations = [{ recommendation: currentReplicas, timestamp: now }];
    }
    const minReplicas = this.spec.minReplicas ?? 1;
    const maxReplicas = this.spec.maxReplicas;
    const base = { time: input.time, currentReplicas, metrics: [] as MetricEvaluation[] };

    if (currentReplicas === 0 && minReplicas !== 0) {
      return {
        ...base,
        desiredReplicas: 0,
        scaled: false,
        reason: 'scaling is disabled since the replica count of the target is zero',
      };
    }
    if (currentReplicas > maxReplicas || currentReplicas < minReplicas) {
      const desiredReplicas = currentReplicas > maxReplicas ? maxReplicas : minReplicas;
      this.#store(currentReplicas, desiredReplicas, now);
      return {
        ...base,
        desiredReplicas,
        scaled: true,
        reason:
          currentReplicas > maxReplicas
            ? 'Current number of replicas above Spec.MaxReplicas'
            : 'Current number of replicas below Spec.MinReplicas',
      };
    }

    const computed = this.#computeReplicasForMetrics(input);
    if (computed.replicas === -1) {
      return {
        ...base,
        metrics: computed.evaluations,
        desiredReplicas: currentReplicas,
        scaled: false,
        reason: 'FailedComputeMetricsReplicas',
        error: computed.error ?? 'no metrics in spec.metrics',
      };
    }

    let desiredReplicas = 0;
    let rescaleMetric = '';
    if (computed.replicas > desiredReplicas) {
      desiredReplicas = computed.replicas;
      rescaleMetric = computed.metricName;
    }
    let reason = 'recommended size matches current size';
    if (desiredReplicas > currentReplicas) reason = `${rescaleMetric} above target`;
    if (desiredReplicas < currentReplicas) reason = 'All metrics below target';

    const proposal = desiredReplicas;
    let stabilization: StabilizationStep;
    let limit: LimitResult;
    if (!this.behavior) {
      const stabilized = stabilizeRecommendation(
        this.#recommendations,
        now,
        this.#downscaleWindow,
        proposal,
      );
      stabilization = {
        replicas: stabilized,
        reason: stabilized !== proposal ? 'ScaleDownStabilized' : 'ReadyForNewScale',
        windowSeconds: proposal < currentReplicas ? this.#downscaleWindow : 0,
      };
      limit = convertDesiredReplicasWithRules(
        currentReplicas,
        stabilized,
        minReplicas,
        maxReplicas,
      );
    } else {
      const stabilized = stabilizeRecommendationWithBehaviors(
        this.#recommendations,
        now,
        this.behavior,
        currentReplicas,
        proposal,
      );
      stabilization = {
        replicas: stabilized.replicas,
        reason: stabilized.replicas !== proposal ? stabilized.reason : 'ReadyForNewScale',
        windowSeconds:
          proposal >= currentReplicas
            ? this.behavior.scaleUp.stabilizationWindowSeconds
            : this.behavior.scaleDown.stabilizationWindowSeconds,
      };
      limit = convertDesiredReplicasWithBehaviorRate({
        currentReplicas,
        desiredReplicas: stabilized.replicas,
        minReplicas,
        maxReplicas,
        behavior: this.behavior,
        scaleUpEvents: this.#scaleUpEvents,
        scaleDownEvents: this.#scaleDownEvents,
        now,
      });
    }
    desiredReplicas = limit.replicas;
    const scaled = desiredReplicas !== currentReplicas;
    if (scaled) this.#store(currentReplicas, desiredReplicas, now);

    const decision: HpaDecision = {
      ...base,
      metrics: computed.evaluations,
      proposal,
      stabilization,
      limit,
      desiredReplicas,
      scaled,
      reason,
    };
    if (rescaleMetric) decision.proposalMetric = rescaleMetric;
    if (computed.error) decision.error = computed.error;
    return decision;
  }

  #store(prev: number, next: number, now: number): void {
    storeScaleEvent(this.behavior, this.#scaleUpEvents, this.#scaleDownEvents, prev, next, now);
  }

  #computeReplicasForMetrics(input: SyncInput): {
    replicas: number;
    metricName: string;
    evaluations: MetricEvaluation[];
    error?: string;
  } {
    const specs = this.spec.metrics ?? [];
    const specReplicas = input.currentReplicas;
    let replicas = 0;
    let metricName = '';
    let invalidCount = 0;
    let firstError: string | undefined;
    const evaluations: MetricEvaluation[] = [];
    for (const metricSpec of specs) {
      const result = this.#computeReplicasForMetric(input, metricSpec);
      evaluations.push(result.evaluation);
      if (!result.calculation.ok) {
        if (invalidCount <= 0) firstError = result.calculation.error;
        invalidCount++;
        continue;
      }
      if (replicas === 0 || result.calculation.replicas > replicas) {
        replicas = result.calculation.replicas;
        metricName = result.metricName;
      }
    }
    const error =
      firstError !== undefined
        ? `invalid metrics (${invalidCount} invalid out of ${specs.length}), first error is: ${firstError}`
        : undefined;
    // All metrics invalid, or some invalid and we would scale down: do not scale (upstream).
    if (invalidCount >= specs.length || (invalidCount > 0 && replicas < specReplicas)) {
      return error !== undefined
        ? { replicas: -1, metricName: '', evaluations, error }
        : { replicas: -1, metricName: '', evaluations };
    }
    return error !== undefined
      ? { replicas, metricName, evaluations, error }
      : { replicas, metricName, evaluations };
  }

  #computeReplicasForMetric(input: SyncInput, metricSpec: MetricSpec): MetricResult {
    const specReplicas = input.currentReplicas;
    const statusReplicas = input.statusReplicas ?? input.currentReplicas;
    const source = metricSpec.pods ?? metricSpec.object ?? metricSpec.external;
    const name = source?.metric?.name ?? metricSpec.resource?.name ?? '(unnamed)';
    const target: MetricTarget = source?.target ??
      metricSpec.resource?.target ??
      metricSpec.containerResource?.target ?? { type: 'AverageValue' };
    const evaluation: MetricEvaluation = {
      type: metricSpec.type,
      name,
      targetType: target.type,
      target: targetNumber(target),
    };
    const fail = (error: string): MetricResult => {
      evaluation.error = error;
      return { calculation: { ok: false, error }, evaluation, metricName: '' };
    };
    const succeed = (
      calculation: ReplicaCalculation,
      metricName: string,
      current: number,
    ): MetricResult => {
      if (!calculation.ok) return fail(calculation.error);
      evaluation.current = current;
      evaluation.proposal = calculation.replicas;
      return { calculation, evaluation, metricName };
    };

    if (
      metricSpec.type !== 'Pods' &&
      metricSpec.type !== 'Object' &&
      metricSpec.type !== 'External'
    ) {
      return fail(
        `${metricSpec.type} metrics (CPU/memory) are not simulated; use Pods, Object or External metrics`,
      );
    }
    if (!source)
      return fail(
        `metric of type ${metricSpec.type} has no "${metricSpec.type.toLowerCase()}" section`,
      );
    const raw = input.metrics[name];
    if (raw === undefined) {
      return fail(`unable to get metric ${name}: no value for this metric at this time`);
    }
    const pods = input.pods ?? defaultPods(input, statusReplicas);

    if (metricSpec.type === 'Pods') {
      if (target.averageValue === undefined) {
        return fail(`pods metric ${name}: target.averageValue is required`);
      }
      const targetUsage = quantityToMilli(target.averageValue);
      const podMetrics = podValues(raw, pods);
      if (podMetrics.size === 0) {
        return fail(`unable to get metric ${name}: no metrics returned from custom metrics API`);
      }
      const calc = calcPlainMetricReplicas(
        podMetrics,
        pods,
        specReplicas,
        targetUsage,
        this.tolerances,
      );
      return succeed(calc, `pods metric ${name}`, calc.ok ? calc.usage / 1000 : 0);
    }

    const values = scalarValues(raw);
    if (values.length === 0) {
      return fail(`unable to get ${metricSpec.type.toLowerCase()} metric ${name}: empty result`);
    }
    const total = values.reduce((sum, value) => sum + value, 0);
    if (target.type === 'Value' && target.value !== undefined) {
      const targetUsage = quantityToMilli(target.value);
      const calc =
        metricSpec.type === 'Object'
          ? objectMetricReplicas(specReplicas, total, targetUsage, pods, this.tolerances)
          : externalMetricReplicas(specReplicas, values, targetUsage, pods, this.tolerances);
      const label =
        metricSpec.type === 'Object'
          ? `${metricSpec.object?.describedObject?.kind ?? 'Object'} metric ${name}`
          : `external metric ${name}`;
      return succeed(calc, label, total / 1000);
    }
    if (target.type === 'AverageValue' && target.averageValue !== undefined) {
      const calc = perPodMetricReplicas(
        statusReplicas,
        total,
        quantityToMilli(target.averageValue),
        this.tolerances,
      );
      return succeed(calc, `external metric ${name}`, calc.ok ? calc.usage / 1000 : 0);
    }
    return fail(
      `invalid ${metricSpec.type.toLowerCase()} metric source: neither a value target nor an average value target was set`,
    );
  }
}

function targetNumber(target: MetricTarget): number {
  if (target.type === 'Value' && target.value !== undefined) return parseQuantity(target.value);
  if (target.averageValue !== undefined) return parseQuantity(target.averageValue);
  return target.averageUtilization ?? Number.NaN;
}

function validateSpec(spec: HpaSpec | undefined): void {
  if (!spec || typeof spec !== 'object') {
    throw new Error('not a HorizontalPodAutoscaler: missing "spec"');
  }
  if (typeof spec.maxReplicas !== 'number' || spec.maxReplicas < 1) {
    throw new Error('HPA spec.maxReplicas must be a number >= 1');
  }
  if (
    spec.minReplicas !== undefined &&
    (typeof spec.minReplicas !== 'number' || spec.minReplicas < 0)
  ) {
    throw new Error('HPA spec.minReplicas must be a number >= 0');
  }
  for (const metric of spec.metrics ?? []) {
    const target = metric.pods?.target ?? metric.object?.target ?? metric.external?.target;
    if (target?.value !== undefined) quantityToMilli(target.value);
    if (target?.averageValue !== undefined) quantityToMilli(target.averageValue);
  }
  for (const rules of [spec.behavior?.scaleUp, spec.behavior?.scaleDown]) {
    if (rules?.tolerance !== undefined) parseQuantity(rules.tolerance);
    for (const policy of rules?.policies ?? []) {
      if (policy.type !== 'Pods' && policy.type !== 'Percent') {
        throw new Error(
          `unknown scaling policy type "${String(policy.type)}" (expected Pods or Percent)`,
        );
      }
      if (!(policy.periodSeconds > 0)) {
        throw new Error('scaling policy periodSeconds must be > 0');
      }
    }
  }
}

function isPerPodRecord(
  raw: MetricInput,
): raw is Readonly<Record<string, number>> | ReadonlyMap<string, number> {
  return typeof raw === 'object' && !Array.isArray(raw);
}

function defaultPods(input: SyncInput, statusReplicas: number): PodInfo[] {
  for (const raw of Object.values(input.metrics)) {
    if (raw !== undefined && isPerPodRecord(raw)) {
      const names = raw instanceof Map ? [...raw.keys()] : Object.keys(raw);
      return names.map((name) => ({ name: String(name) }));
    }
  }
  return Array.from({ length: statusReplicas }, (_, i) => ({ name: `pod-${i}` }));
}

function podValues(raw: MetricInput, pods: readonly PodInfo[]): Map<string, number> {
  const values = new Map<string, number>();
  if (typeof raw === 'number') {
    for (const pod of pods) values.set(pod.name, toMilli(raw));
  } else if (Array.isArray(raw)) {
    raw.forEach((value: number, i: number) => {
      const pod = pods[i];
      if (pod && Number.isFinite(value)) values.set(pod.name, toMilli(value));
    });
  } else if (raw instanceof Map) {
    for (const [name, value] of raw) if (Number.isFinite(value)) values.set(name, toMilli(value));
  } else {
    for (const [name, value] of Object.entries(raw as Record<string, number>)) {
      if (Number.isFinite(value)) values.set(name, toMilli(value));
    }
  }
  return values;
}

function scalarValues(raw: MetricInput): number[] {
  if (typeof raw === 'number') return Number.isFinite(raw) ? [toMilli(raw)] : [];
  const list: number[] = Array.isArray(raw)
    ? [...(raw as number[])]
    : raw instanceof Map
      ? [...raw.values()]
      : Object.values(raw as Record<string, number>);
  return list.filter((value) => Number.isFinite(value)).map(toMilli);
}
