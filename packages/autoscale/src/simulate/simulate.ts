/**
 * Replays a metric trace through one or more HPA definitions, with a simple model of the pods.
 *
 * The pod model:
 * - The trace holds per-pod means recorded with `replicas` pods. An extensive metric (queue
 *   depth, in-flight requests, and - for a saturated server whose per-pod service rate is fixed -
 *   latency, which grows with the per-pod backlog) is conserved in total: at a sync, each ready
 *   pod reports `mean × recordedReplicas / readyPods`. An `each:` metric is reported unchanged.
 * - A pod added by a scale-up is `Pending` for `startupDelaySeconds` and then ready: pending pods
 *   take no load and report no metric (the HPA counts them as 0 on a scale-up, as upstream).
 * - A scale-down removes pods at once (pending ones first).
 * - Syncs happen every `syncPeriodSeconds` (the controller's 15 s); each sync sees the latest trace
 *   point at or before it.
 */

import type { HorizontalPodAutoscaler, PodInfo } from '@mlscale/hpa';
import {
  describeDecision,
  HpaController,
  type HpaControllerOptions,
  type HpaDecision,
} from '@mlscale/hpa';
import { type BlockedNote, blockedNotes } from './blocked.js';
import { drivingMetric } from './driving.js';
import { countScaleEvent, scaleDownOrder } from './scaling.js';
import { findStep, type TimeBase, timeBase } from './time-base.js';
import type { Trace, TracePoint } from './trace.js';

/** One HPA definition to simulate. */
export interface SimulationConfig {
  /** Label in tables and charts. */
  name: string;
  /** The parsed HorizontalPodAutoscaler. */
  hpa: HorizontalPodAutoscaler;
}

/** Simulation options. */
export interface SimulationOptions {
  /** Seconds between HPA syncs (default 15, the controller's `--horizontal-pod-autoscaler-sync-period`). */
  syncPeriodSeconds?: number;
  /** Seconds from a scale-up until the new pods are ready (default 30). */
  startupDelaySeconds?: number;
  /** Replicas at the start (default: the trace's first recorded count, clamped to min/max). */
  initialReplicas?: number;
  /** Time of the load step in trace seconds (default: detected from the `load` column or the first metric). */
  stepAt?: number;
  /** Metric used for "time above the latency target" (default: the first trace metric whose name has "latency" or "duration"). */
  latencyMetric?: string;
  /** Latency target in the metric's unit (default 0.2, the guide's 200m). */
  latencyTarget?: number;
  /** Controller flags. */
  controller?: HpaControllerOptions;
  /**
   * Seconds from the trace's start to the first sync (default 0). Where a load step falls between
   * two syncs decides much of the time to the first scale-up; {@link sweepSyncPhases} tries them all.
   */
  syncOffsetSeconds?: number;
}

/** One sync of one config. */
export interface TimelineEntry {
  /** Trace seconds. */
  time: number;
  /** Replicas after the sync (`spec.replicas`). */
  replicas: number;
  /** Ready pods at the sync. */
  ready: number;
  /** Per-pod value of each trace metric as the ready pods reported it. */
  perPod: Record<string, number>;
  /** The HPA's decision. */
  decision: HpaDecision;
  /** `describeDecision` of the decision. */
  explanation: string;
}

/** Figures for one config. */
export interface SimulationSummary {
  /** Config label. */
  name: string;
  /** Seconds from the load step to the first scale-up (undefined: never scaled up). */
  timeToFirstScaleUp?: number;
  /** Sum over time of the pods that exist (pending included), in pod-seconds. */
  replicaSeconds: number;
  /** Number of syncs that changed the replica count. */
  scaleEvents: number;
  /** Seconds during which the latency metric was above the target (undefined without a latency metric). */
  timeAboveLatencyTarget?: number;
  /** Highest replica count reached. */
  maxReplicas: number;
  /** Replicas at the end. */
  finalReplicas: number;
  /** The HPA's minReplicas and maxReplicas. */
  replicaBounds: { min: number; max: number };
  /** Stretches where a missing or invalid metric blocked scaling (the guide's NaN latency when idle). */
  blocked: BlockedNote[];
  /** The metric whose proposal drove most scale-ups (or most syncs). */
  drivingMetric?: string;
}

/** The result of a simulation. */
export interface SimulationReport {
  /** The load step on the trace's clock (`timeBase.stepAt`): the start when the trace has none. */
  stepAt: number;
  /** Where times count from: the trace's start (t=0) and its load step, if any. */
  timeBase: TimeBase;
  /** The latency metric and target used. */
  latency?: { metric: string; target: number };
  /** Sync period used. */
  syncPeriodSeconds: number;
  /** Per config: summary and timeline. */
  results: { summary: SimulationSummary; timeline: TimelineEntry[] }[];
}

/**
 * Finds the load step in the `load` column (or the first metric's total): a rise of half its range
 * within one sync period ({@link findStep}). A smooth ramp has none.
 *
 * @param trace - the trace
 * @param windowSeconds - the sync period (default 15)
 * @returns trace seconds of the step, or null when the trace has none
 * @example
 * detectLoadStep(trace); // 60
 */
export function detectLoadStep(trace: Trace, windowSeconds = 15): number | null {
  const first = trace.points[0];
  if (!first) return null;
  const hasLoad = trace.points.some((p) => p.load !== undefined);
  const metric = trace.metrics[0];
  const level = (p: TracePoint): number | undefined => {
    if (hasLoad) return p.load;
    if (metric === undefined) return undefined;
    const v = p.values[metric];
    return v === undefined ? undefined : trace.intensive.has(metric) ? v : v * p.replicas;
  };
  return findStep(
    trace.points.map((p) => ({ time: p.time, level: level(p) })),
    windowSeconds,
  );
}

function pickLatencyMetric(trace: Trace, wanted: string | undefined): string | undefined {
  if (wanted !== undefined) {
    if (!trace.metrics.includes(wanted)) {
      throw new Error(
        `latency metric "${wanted}" is not in the trace (columns: ${trace.metrics.join(', ') || 'none'})`,
      );
    }
    return wanted;
  }
  return trace.metrics.find((m) => /latency|duration/.test(m));
}

function hpaMetricNames(hpa: HorizontalPodAutoscaler): { name: string; perPod: boolean }[] {
  return (hpa.spec.metrics ?? []).flatMap((m) => {
    const source = m.pods ?? m.object ?? m.external;
    return source ? [{ name: source.metric.name, perPod: m.type === 'Pods' }] : [];
  });
}

/**
 * Checks that the trace has every metric each config scales on.
 *
 * @param trace - the trace
 * @param configs - the configs
 * @returns one message per missing metric (empty when all are there)
 * @example
 * missingMetrics(trace, configs); // ['guide: request_queue_depth is not in the trace']
 */
export function missingMetrics(trace: Trace, configs: readonly SimulationConfig[]): string[] {
  const messages: string[] = [];
  for (const config of configs) {
    for (const { name } of hpaMetricNames(config.hpa)) {
      if (!trace.metrics.includes(name)) {
        messages.push(
          `${config.name}: the HPA scales on "${name}" but the trace has no such column (columns: ${trace.metrics.join(', ')})`,
        );
      }
    }
  }
  return messages;
}

/**
 * Runs the simulation.
 *
 * @param trace - the recorded trace
 * @param configs - HPA definitions to compare on the same trace
 * @param options - sync period (15 s), start-up delay (30 s), load step, latency target (0.2)
 * @returns per-config timelines and figures
 * @throws Error when a config scales on a metric the trace lacks
 * @example
 * const report = simulate(parseTraceCsv(csv), [{ name: 'guide', hpa }]);
 */
export function simulate(
  trace: Trace,
  configs: readonly SimulationConfig[],
  options: SimulationOptions = {},
): SimulationReport {
  const run = runSettings(trace, configs, options);
  const results = configs.map((config) => simulateConfig(trace, config, run, options));
  const report: SimulationReport = {
    stepAt: run.stepAt,
    timeBase: run.base,
    syncPeriodSeconds: run.syncPeriod,
    results,
  };
  if (run.latencyMetric) {
    report.latency = { metric: run.latencyMetric, target: run.latencyTarget };
  }
  return report;
}

/** What every config of one run shares: the clock, the step and the latency metric. */
interface RunSettings {
  syncPeriod: number;
  startupDelay: number;
  latencyMetric: string | undefined;
  latencyTarget: number;
  start: number;
  base: TimeBase;
  stepAt: number;
  end: number;
  firstSync: number;
}

/** Checks the trace against the configs and the options, and settles the run's clock. */
function runSettings(
  trace: Trace,
  configs: readonly SimulationConfig[],
  options: SimulationOptions,
): RunSettings {
  const missing = missingMetrics(trace, configs);
  if (missing.length > 0) throw new Error(missing.join('\n'));
  const syncPeriod = options.syncPeriodSeconds ?? 15;
  const startupDelay = options.startupDelaySeconds ?? 30;
  if (!(syncPeriod > 0)) throw new Error('sync period must be > 0 seconds');
  if (!(startupDelay >= 0)) throw new Error('start-up delay must be >= 0 seconds');
  const latencyMetric = pickLatencyMetric(trace, options.latencyMetric);
  const latencyTarget = options.latencyTarget ?? 0.2;
  const start = trace.points[0]?.time ?? 0;
  const base = timeBase(
    start,
    options.stepAt,
    options.stepAt === undefined ? detectLoadStep(trace, syncPeriod) : null,
  );
  return {
    syncPeriod,
    startupDelay,
    latencyMetric,
    latencyTarget,
    start,
    base,
    stepAt: base.stepAt,
    end: trace.points[trace.points.length - 1]?.time ?? 0,
    firstSync: start + (options.syncOffsetSeconds ?? 0),
  };
}

/** One config's simulated pods: the pods that exist, the replica count and the pod names' serial. */
interface SimulatedPods {
  pods: { name: string; readyAt: number }[];
  replicas: number;
  serial: number;
}

/** Replays the trace through one config's HPA, sync by sync. */
function simulateConfig(
  trace: Trace,
  config: SimulationConfig,
  run: RunSettings,
  options: SimulationOptions,
): { summary: SimulationSummary; timeline: TimelineEntry[] } {
  const hpa = new HpaController(config.hpa, options.controller);
  const min = hpa.spec.minReplicas ?? 1;
  const initial = Math.min(
    hpa.spec.maxReplicas,
    Math.max(min, options.initialReplicas ?? trace.points[0]?.replicas ?? min),
  );
  const state: SimulatedPods = { pods: [], replicas: initial, serial: 0 };
  state.pods = Array.from({ length: initial }, () => ({
    name: `pod-${state.serial++}`,
    readyAt: run.start,
  }));
  let pointIndex = 0;
  const timeline: TimelineEntry[] = [];
  const summary: SimulationSummary = {
    name: config.name,
    replicaSeconds: 0,
    scaleEvents: 0,
    maxReplicas: initial,
    finalReplicas: initial,
    replicaBounds: { min, max: hpa.spec.maxReplicas },
    blocked: [],
  };
  if (run.latencyMetric) summary.timeAboveLatencyTarget = 0;
  const metrics = hpaMetricNames(config.hpa);

  for (let t = run.firstSync; t <= run.end; t += run.syncPeriod) {
    pointIndex = pointIndexAt(trace, pointIndex, t);
    const point = trace.points[pointIndex] as TracePoint;
    const readyPods = state.pods.filter((p) => p.readyAt <= t);
    const perPod = perPodValues(trace, point, readyPods.length);
    const decision = hpa.sync({
      time: t,
      currentReplicas: state.replicas,
      statusReplicas: state.pods.length,
      pods: state.pods.map(
        (p): PodInfo => ({ name: p.name, phase: p.readyAt <= t ? 'Running' : 'Pending' }),
      ),
      metrics: hpaInput(trace, point, metrics, perPod, readyPods),
    });
    if (decision.scaled) {
      countScaleEvent(summary, decision, state.replicas, t, run.stepAt);
      scalePods(state, decision.desiredReplicas, t, run.startupDelay);
    }
    summary.maxReplicas = Math.max(summary.maxReplicas, state.replicas);
    const interval = Math.min(run.syncPeriod, run.end - t) || 0;
    summary.replicaSeconds += state.pods.length * interval;
    if (run.latencyMetric && summary.timeAboveLatencyTarget !== undefined) {
      const latency = perPod[run.latencyMetric];
      if (latency !== undefined && latency > run.latencyTarget)
        summary.timeAboveLatencyTarget += interval;
    }
    timeline.push({
      time: t,
      replicas: state.replicas,
      ready: readyPods.length,
      perPod,
      decision,
      explanation: describeDecision(decision),
    });
  }
  summary.finalReplicas = state.replicas;
  summary.blocked = blockedNotes(
    timeline.map((entry) => entry.decision),
    run.syncPeriod,
    min,
  );
  const driving = drivingMetric(timeline.map((entry) => entry.decision));
  if (driving !== undefined) summary.drivingMetric = driving;
  return { summary, timeline };
}

/** The index of the latest trace point at or before `t`, searching on from `from`. */
function pointIndexAt(trace: Trace, from: number, t: number): number {
  let index = from;
  while (index + 1 < trace.points.length && (trace.points[index + 1]?.time ?? Infinity) <= t) {
    index++;
  }
  return index;
}

/** Each trace metric's per-pod value as `ready` pods report it (extensive metrics are shared out). */
function perPodValues(trace: Trace, point: TracePoint, ready: number): Record<string, number> {
  const perPod: Record<string, number> = {};
  for (const name of trace.metrics) {
    const mean = point.values[name];
    if (mean === undefined || ready === 0) continue;
    perPod[name] = trace.intensive.has(name) ? mean : (mean * point.replicas) / ready;
  }
  return perPod;
}

/** The HPA's metric input: per ready pod for a Pods metric, the total (or the mean) otherwise. */
function hpaInput(
  trace: Trace,
  point: TracePoint,
  metrics: { name: string; perPod: boolean }[],
  perPod: Record<string, number>,
  readyPods: { name: string }[],
): Record<string, Record<string, number> | number> {
  const input: Record<string, Record<string, number> | number> = {};
  for (const { name, perPod: isPods } of metrics) {
    const value = perPod[name];
    if (value === undefined) continue;
    if (isPods) input[name] = Object.fromEntries(readyPods.map((p) => [p.name, value]));
    else {
      const mean = point.values[name] as number;
      input[name] = trace.intensive.has(name) ? mean : mean * point.replicas;
    }
  }
  return input;
}

/** Adds pending pods on a scale-up, removes pods (pending first) on a scale-down. */
function scalePods(state: SimulatedPods, desired: number, t: number, startupDelay: number): void {
  if (desired > state.pods.length) {
    for (let i = state.pods.length; i < desired; i++) {
      state.pods.push({ name: `pod-${state.serial++}`, readyAt: t + startupDelay });
    }
  } else if (desired < state.pods.length) {
    // What stays, running pods first: the removal order reversed, less the removed.
    state.pods = scaleDownOrder(state.pods, t)
      .slice(state.pods.length - desired)
      .reverse();
  }
  state.replicas = desired;
}

/** A config's figures over every sync phase of a trace. */
export interface PhaseSummary {
  /** Config label. */
  name: string;
  /** Phases tried: one per second of the sync period. */
  phases: number;
  /** Seconds from the load step to the first scale-up, over the phases that scaled up. */
  firstScaleUp?: { mean: number; median: number; min: number; max: number };
  /** Phases in which the config never scaled up. */
  neverScaledUp: number;
  /** Scale events, fewest and most over the phases. */
  scaleEvents: { min: number; max: number };
  /** Mean replica-seconds over the phases. */
  replicaSeconds: number;
}

/**
 * Runs {@link simulate} once for each whole second of the sync period as the offset of the first
 * sync, so that a comparison does not hang on where the load step happened to fall between two
 * syncs (with a 15 s period, anywhere from 0 to 14 s of the reaction time is that luck).
 *
 * @param trace - the recorded trace
 * @param configs - the HPAs to compare
 * @param options - as for {@link simulate}; `syncOffsetSeconds` is ignored
 * @returns one summary per config, in order
 * @example
 * sweepSyncPhases(trace, configs).map((p) => `${p.name}: ${p.firstScaleUp?.mean} s`);
 */
export function sweepSyncPhases(
  trace: Trace,
  configs: readonly SimulationConfig[],
  options: SimulationOptions = {},
): PhaseSummary[] {
  const period = options.syncPeriodSeconds ?? 15;
  const offsets = Array.from({ length: Math.max(1, Math.ceil(period)) }, (_, i) => i);
  const reports = offsets.map((syncOffsetSeconds) =>
    simulate(trace, configs, { ...options, syncOffsetSeconds }),
  );
  return configs.map((config, index) => {
    const summaries = reports.map(
      (report) => (report.results[index] as { summary: SimulationSummary }).summary,
    );
    const times = summaries
      .map((summary) => summary.timeToFirstScaleUp)
      .filter((time): time is number => time !== undefined)
      .sort((a, b) => a - b);
    const events = summaries.map((summary) => summary.scaleEvents);
    const phase: PhaseSummary = {
      name: config.name,
      phases: offsets.length,
      neverScaledUp: summaries.length - times.length,
      scaleEvents: { min: Math.min(...events), max: Math.max(...events) },
      replicaSeconds: summaries.reduce((sum, s) => sum + s.replicaSeconds, 0) / summaries.length,
    };
    if (times.length > 0) {
      const mid = times.length >> 1;
      phase.firstScaleUp = {
        mean: times.reduce((sum, t) => sum + t, 0) / times.length,
        median:
          times.length % 2
            ? (times[mid] as number)
            : ((times[mid - 1] as number) + (times[mid] as number)) / 2,
        min: times[0] as number,
        max: times[times.length - 1] as number,
      };
    }
    return phase;
  });
}
