/**
 * The reactive simulator: an arrival-rate trace played against pods that behave as a capacity
 * profile says, with Prometheus, the adapter and the HPA in the loop, so that adding pods lowers
 * the latency the next sync sees.
 *
 * The model (the package README states it for users):
 * - Time advances in ticks (0.25 s). The offered rate is shared evenly by the ready pods (a Service).
 * - Each pod is a fluid queue with service rate μ (the profile's capacity). At arrival rate r ≤ μ
 *   its requests see the profile's latency at r; on top, a backlog `Q` (requests beyond the steady
 *   state) grows at r - μ while r > μ, drains at μ - r otherwise, and adds `Q / μ` to every
 *   request's latency. The queue depth is the profile's mean depth at r, plus `Q`.
 * - A pod that sheds answers 503 to what would take it past its queue limit.
 * - A new pod is ready `startupDelaySeconds` after the HPA asks for it; until then it takes no
 *   load and has no metrics. A removed pod takes no new requests, serves its backlog and then goes
 *   (it counts in replica-seconds until then). Pending pods are removed first, then the newest.
 * - Prometheus scrapes the ready pods every `scrapeIntervalSeconds`, from `scrapeOffsetSeconds` into
 *   the trace (so a sync reads samples (sync offset - scrape offset) mod the interval old; a real
 *   Prometheus scrapes each target at a phase of its own); a signal over a window `w` is
 *   (last - first) / (t_last - t_first) over the samples in (t - w, t] (at least two), which is what
 *   `rate()`'s extrapolation gives for the ratios and means used here. A request's latency, wait
 *   and count enter the counters when it is answered (its arrival plus its latency), as a
 *   histogram observes it; the depth integral advances in time.
 * - Every `syncPeriodSeconds` the HPA port syncs on the signals (src/hpa), with the pods that exist.
 * - The run starts warm: `warmupSeconds` of the first rate with the initial pods, no syncs and no
 *   backlog (even when the first rate is above capacity), so the windows are full at time 0.
 */

import type { HorizontalPodAutoscaler, PodInfo } from '@mlscale/hpa';
import {
  describeDecision,
  HpaController,
  type HpaControllerOptions,
  type HpaDecision,
} from '@mlscale/hpa';
import type { OperatingPoint, PodModel } from '../capacity/model.js';
import type { LatencySlo } from '../capacity/slo.js';
import { quantileOf } from '../capacity/slo.js';
import { forecastValue } from '../forecast/signal.js';
import type { TimedValue } from '../promql/forecast.js';
import { type BlockedNote, blockedNotes } from './blocked.js';
import { drivingMetric } from './driving.js';
import { type LatencyGroup, meanLatency, mixtureQuantile } from './latency-mix.js';
import { detectRateStep, type LoadTrace, rateAt } from './load.js';
import { countScaleEvent, scaleDownOrder } from './scaling.js';
import type { Signal } from './signals.js';
import { type TimeBase, timeBase } from './time-base.js';
import { timelineFigures } from './timeline-figures.js';

/** One HPA definition to simulate, with how each of its metrics is read. */
export interface ReactiveConfig {
  /** Label in tables and charts. */
  name: string;
  /** The HPA (for KEDA: the HPA KEDA would create). */
  hpa: HorizontalPodAutoscaler;
  /**
   * Metric name → signal. `Pods` metrics are read per pod; `Object`/`External` metrics over all
   * ready pods: summed (depth, or a query that computes per pod and sums), or a pooled mean.
   */
  signals: ReadonlyMap<string, Signal>;
}

/** Options of {@link simulateReactive}. */
export interface ReactiveOptions {
  /** The latency objective (default p95 = 200 ms). */
  slo?: LatencySlo;
  /** Seconds between HPA syncs (default 15). */
  syncPeriodSeconds?: number;
  /** Seconds from the first sync after the trace start (default 0). */
  syncOffsetSeconds?: number;
  /** Seconds from the HPA's decision until a new pod serves (default 30). */
  startupDelaySeconds?: number;
  /** Seconds between Prometheus scrapes (default 5, the project's ServiceMonitor). */
  scrapeIntervalSeconds?: number;
  /** Seconds from the trace's start to the first scrape, below the interval (default 0). */
  scrapeOffsetSeconds?: number;
  /** Replicas at the start (default the HPA's minReplicas). */
  initialReplicas?: number;
  /** The load step, for "time to first scale-up" and "recovery" (default: detected). */
  stepAt?: number;
  /** Seconds of warm-up before the trace (default 180, longer than any window). */
  warmupSeconds?: number;
  /** Controller flags. */
  controller?: HpaControllerOptions;
}

/** One second of one config. */
export interface ReactiveSecond {
  /** Trace seconds (start of the second). */
  time: number;
  /** Offered requests per second. */
  offeredRps: number;
  /** `spec.replicas` at the end of the second. */
  replicas: number;
  /** Pods ready (serving). */
  ready: number;
  /** Pods that exist: starting, ready or draining. */
  pods: number;
  /** p95 and p99 of the second's requests, seconds (Infinity: too many failed; undefined: no requests). */
  p95?: number;
  p99?: number;
  /** Mean latency of the served requests. */
  mean?: number;
  /** Requests answered 503 (or with no pod ready) in the second. */
  failed: number;
  /** Backlog beyond the steady state, summed over pods. */
  backlog: number;
  /** True when the SLO statistic of this second is above the objective. */
  violation: boolean;
}

/** One HPA sync of one config. */
export interface ReactiveSync {
  /** Trace seconds. */
  time: number;
  /** Replicas after the sync. */
  replicas: number;
  /** Per metric, the value the HPA saw (its average over pods, as `kubectl get hpa` shows). */
  seen: Record<string, number | undefined>;
  /** The decision. */
  decision: HpaDecision;
  /** `describeDecision` of it. */
  explanation: string;
}

/** A config's figures. */
export interface ReactiveSummary {
  /** Config label. */
  name: string;
  /** Seconds whose SLO statistic was above the objective. */
  sloViolationSeconds: number;
  /** Requests that failed (503 from a full queue, or no pod ready). */
  failed: number;
  /** Requests offered. */
  offered: number;
  /** Pod-seconds (starting, ready and draining pods): each second's pods at its end, for one second ({@link timelineFigures}). */
  replicaSeconds: number;
  /** Syncs that changed the replica count. */
  scaleEvents: number;
  /** Highest `spec.replicas`. */
  maxReplicas: number;
  /** Replicas at the end. */
  finalReplicas: number;
  /** The HPA's minReplicas and maxReplicas. */
  replicaBounds: { min: number; max: number };
  /** Seconds from the load step to the first scale-up (undefined: never). */
  timeToFirstScaleUp?: number;
  /**
   * Seconds from the load step until the SLO statistic is back under the objective (0 when it never
   * went over; undefined when it did not come back within the trace).
   */
  recoverySeconds?: number;
  /** p95 and p99 over every request of the trace (Infinity when failures alone exceed 5 % / 1 %). */
  p95?: number;
  p99?: number;
  /** Stretches where a missing or invalid metric blocked scaling. */
  blocked: BlockedNote[];
  /** The metric whose proposal drove most scale-ups (or most syncs). */
  drivingMetric?: string;
}

/** The result of {@link simulateReactive}. */
export interface ReactiveReport {
  /** The load step on the trace's clock (`timeBase.stepAt`): the start when the load has none. */
  stepAt: number;
  /** Where times count from: the trace's start (t=0) and its load step, if any. */
  timeBase: TimeBase;
  /** The objective. */
  slo: LatencySlo;
  /** Settings used. */
  syncPeriodSeconds: number;
  startupDelaySeconds: number;
  scrapeIntervalSeconds: number;
  scrapeOffsetSeconds: number;
  /** The pod's capacity (μ) used. */
  capacityRps: number;
  /** Per config. */
  results: { summary: ReactiveSummary; seconds: ReactiveSecond[]; syncs: ReactiveSync[] }[];
}

interface Sample {
  time: number;
  latencySum: number;
  inferenceSum: number;
  waitSum: number;
  count: number;
  depthSeconds: number;
  /** Seconds the pod was busy serving (served rate / μ, integrated): its own GPU time. */
  busySeconds: number;
  /** Requests answered, 503s included (`http_requests_total`). */
  requests: number;
  depth: number;
}

/** Requests of one tick, answered at `at`: what they add to the counters then. */
interface Completion {
  at: number;
  count: number;
  latencySum: number;
  inferenceSum: number;
  waitSum: number;
}

interface Pod {
  name: string;
  readyAt: number;
  removedAt?: number;
  backlog: number;
  /** Arrival rate of the current tick. */
  rate: number;
  counters: Omit<Sample, 'time' | 'depth'>;
  depth: number;
  samples: Sample[];
  /** Accepted requests not answered yet, in order of answer. */
  pending: Completion[];
}

const TICK = 0.25;

/** How far back the forecasts among `signals` read (their range or period, and rate window). */
function forecastLookback(signals: Iterable<Signal>): number {
  let seconds = 0;
  for (const x of signals) {
    if (x.kind !== 'forecast') continue;
    seconds = Math.max(
      seconds,
      x.rangeSeconds + x.rateWindowSeconds,
      x.periodSeconds + x.rateWindowSeconds,
    );
  }
  return seconds;
}

function ticks(seconds: number, what: string): number {
  const n = Math.round(seconds / TICK);
  if (Math.abs(n * TICK - seconds) > 1e-9) {
    throw new Error(`${what} must be a multiple of ${TICK} s (got ${seconds})`);
  }
  return n;
}

function signalValue(signal: Signal, samples: readonly Sample[], now: number): number | undefined {
  if (signal.kind === 'forecast') return undefined; // the service's, not a pod's
  if (signal.kind === 'depthGauge') {
    const last = samples[samples.length - 1];
    // Prometheus marks a series stale after 5 minutes without a sample.
    return last && now - last.time <= 300 ? last.depth : undefined;
  }
  if (signal.kind === 'gpuShare') {
    // The probe's gauge: the share since its previous read, one scrape interval before.
    const [previous, last] = samples.slice(-2);
    if (!previous || !last || now - last.time > 300 || !(last.time > previous.time))
      return undefined;
    return (100 * (last.busySeconds - previous.busySeconds)) / (last.time - previous.time);
  }
  const inWindow = samples.filter((s) => s.time > now - signal.windowSeconds && s.time <= now);
  const first = inWindow[0];
  const last = inWindow[inWindow.length - 1];
  if (!first || !last || last === first) return undefined;
  if (signal.kind === 'depthRate') {
    return (last.depthSeconds - first.depthSeconds) / (last.time - first.time);
  }
  const count = last.count - first.count;
  const key = `${signal.source}Sum` as 'latencySum' | 'inferenceSum' | 'waitSum';
  if (!(count > 1e-9)) return signal.idle === 'zero' ? 0 : undefined;
  return (last[key] - first[key]) / count;
}

function pooledValue(signal: Signal, pods: readonly Pod[], now: number): number | undefined {
  // A query that computes per pod and sums (`sum(... by (pod) ...)`) adds the pods' values;
  // a mean over all pods' requests is the pooled Δsum / Δcount.
  if (signal.kind !== 'mean' || /\bby\s*\(\s*pod\s*\)/.test(signal.query)) {
    const values = pods
      .map((p) => signalValue(signal, p.samples, now))
      .filter((v): v is number => v !== undefined && Number.isFinite(v));
    return values.length > 0 ? values.reduce((a, b) => a + b, 0) : undefined;
  }
  let sum = 0;
  let count = 0;
  const key = `${signal.source}Sum` as 'latencySum' | 'inferenceSum' | 'waitSum';
  for (const pod of pods) {
    const inWindow = pod.samples.filter(
      (s) => s.time > now - signal.windowSeconds && s.time <= now,
    );
    const first = inWindow[0];
    const last = inWindow[inWindow.length - 1];
    if (!first || !last || first === last) continue;
    sum += last[key] - first[key];
    count += last.count - first.count;
  }
  if (count > 1e-9) return sum / count;
  return signal.idle === 'zero' ? 0 : undefined;
}

/**
 * The SLO statistic of some requests: a quantile of their mixture, or for a mean objective their
 * mean latency (any failed request puts a second over a mean objective).
 */
function sloStatistic(
  groups: readonly LatencyGroup[],
  failed: number,
  quantile: number | undefined,
): number | undefined {
  if (quantile !== undefined) return mixtureQuantile(groups, failed, quantile);
  if (failed > 0) return Number.POSITIVE_INFINITY;
  return meanLatency(groups);
}

/**
 * Runs the reactive simulation of each config on the same load (see the module comment).
 *
 * @param pod - the pod model from the capacity profile
 * @param load - the arrival-rate trace
 * @param configs - the HPAs, with how their metrics are read
 * @param options - SLO (p95 = 200 ms), sync 15 s, start-up 30 s, scrape 5 s
 * @returns per config: figures, a per-second timeline and the syncs
 * @throws Error when a config scales on a metric it has no signal for, or a period is not a multiple of 0.25 s
 * @example
 * const report = simulateReactive(podModel(profile), parseLoadCsv(csv), [{ name: 'plan', hpa, signals }]);
 */
export function simulateReactive(
  pod: PodModel,
  load: LoadTrace,
  configs: readonly ReactiveConfig[],
  options: ReactiveOptions = {},
): ReactiveReport {
  const run = runSettings(pod, load, configs, options);
  const results = configs.map((config) => new ConfigSimulation(config, run).run());
  return {
    stepAt: run.stepAt,
    timeBase: run.base,
    slo: run.slo,
    syncPeriodSeconds: run.syncPeriod,
    startupDelaySeconds: run.startupDelay,
    scrapeIntervalSeconds: run.scrapeInterval,
    scrapeOffsetSeconds: run.scrapeOffsetTicks * TICK,
    capacityRps: run.mu,
    results,
  };
}

/** What every config's simulation shares: the settings, in seconds and in ticks, and the clock. */
interface RunSettings {
  pod: PodModel;
  load: LoadTrace;
  options: ReactiveOptions;
  slo: LatencySlo;
  syncPeriod: number;
  startupDelay: number;
  scrapeInterval: number;
  warmup: number;
  syncTicks: number;
  syncOffsetTicks: number;
  scrapeTicks: number;
  scrapeOffsetTicks: number;
  warmupTicks: number;
  start: number;
  end: number;
  base: TimeBase;
  stepAt: number;
  quantile: number | undefined;
  /** The pod's capacity, req/s. */
  mu: number;
}

/** Reads the options with their defaults and checks them and the configs' metrics. */
function runSettings(
  pod: PodModel,
  load: LoadTrace,
  configs: readonly ReactiveConfig[],
  options: ReactiveOptions,
): RunSettings {
  const slo = options.slo ?? { statistic: 'p95', seconds: 0.2 };
  const syncPeriod = options.syncPeriodSeconds ?? 15;
  const startupDelay = options.startupDelaySeconds ?? 30;
  const scrapeInterval = options.scrapeIntervalSeconds ?? 5;
  const lookback = Math.max(0, ...configs.map((c) => forecastLookback(c.signals.values())));
  const warmup = options.warmupSeconds ?? Math.max(180, lookback);
  const syncTicks = ticks(syncPeriod, 'the sync period');
  const syncOffsetTicks = ticks(options.syncOffsetSeconds ?? 0, 'the sync offset');
  const scrapeTicks = ticks(scrapeInterval, 'the scrape interval');
  const scrapeOffsetTicks = ticks(options.scrapeOffsetSeconds ?? 0, 'the scrape offset');
  const warmupTicks = ticks(warmup, 'the warm-up');
  if (syncTicks < 1 || scrapeTicks < 1)
    throw new Error('sync period and scrape interval must be > 0');
  if (scrapeOffsetTicks < 0 || scrapeOffsetTicks >= scrapeTicks) {
    throw new Error(
      `the scrape offset (${options.scrapeOffsetSeconds} s) must be at least 0 and below the scrape interval (${scrapeInterval} s)`,
    );
  }
  if (!(startupDelay >= 0)) throw new Error('the start-up delay must be >= 0 seconds');
  for (const config of configs) {
    for (const metric of config.hpa.spec.metrics ?? []) {
      const name = (metric.pods ?? metric.object ?? metric.external)?.metric.name;
      if (name !== undefined && !config.signals.has(name)) {
        throw new Error(
          `${config.name}: no signal for metric "${name}" (no adapter rule or trigger serves it)`,
        );
      }
    }
  }
  const start = load.points[0]?.time ?? 0;
  const end = load.points[load.points.length - 1]?.time ?? 0;
  const base = timeBase(
    start,
    options.stepAt,
    options.stepAt === undefined ? detectRateStep(load, syncPeriod) : null,
  );
  return {
    pod,
    load,
    options,
    slo,
    syncPeriod,
    startupDelay,
    scrapeInterval,
    warmup,
    syncTicks,
    syncOffsetTicks,
    scrapeTicks,
    scrapeOffsetTicks,
    warmupTicks,
    start,
    end,
    base,
    stepAt: base.stepAt,
    quantile: quantileOf(slo.statistic),
    mu: pod.capacityRps,
  };
}

/**
 * One config under the load, tick by tick: each tick (0) the answered requests enter the pods'
 * counters, (1) Prometheus scrapes, (2) the HPA syncs, (3) the ready pods serve, and at each whole
 * second (4) the second's figures are closed.
 */
class ConfigSimulation {
  private readonly hpa: HpaController;
  private readonly min: number;
  private serial = 0;
  private pods: Pod[];
  private replicas: number;
  private readonly seconds: ReactiveSecond[] = [];
  private readonly syncs: ReactiveSync[] = [];
  private readonly summary: ReactiveSummary;
  // Groups of the whole run, merged where they have the same rate and wait (to 0.1 ms), so a
  // long trace stays small: most seconds below capacity are alike.
  private readonly allGroups = new Map<string, LatencyGroup>();
  private allFailed = 0;
  private secondGroups: LatencyGroup[] = [];
  private secondFailed = 0;
  private secondOffered = 0;
  private readonly maxWindow: number;
  /** Seconds of request samples the forecasts read back (0: no forecast). */
  private readonly forecastSeconds: number;
  private readonly requestSeries = new Map<string, TimedValue[]>();

  constructor(
    private readonly config: ReactiveConfig,
    private readonly s: RunSettings,
  ) {
    this.hpa = new HpaController(config.hpa, s.options.controller);
    this.min = this.hpa.spec.minReplicas ?? 1;
    const initial = Math.min(
      this.hpa.spec.maxReplicas,
      Math.max(this.min, s.options.initialReplicas ?? this.min),
    );
    this.pods = Array.from({ length: initial }, () => this.newPod(s.start - s.warmup));
    this.replicas = initial;
    this.summary = {
      name: config.name,
      sloViolationSeconds: 0,
      failed: 0,
      offered: 0,
      replicaSeconds: 0,
      scaleEvents: 0,
      maxReplicas: initial,
      finalReplicas: initial,
      replicaBounds: { min: this.min, max: this.hpa.spec.maxReplicas },
      blocked: [],
    };
    this.maxWindow = Math.max(
      300,
      ...[...config.signals.values()].map((x) => ('windowSeconds' in x ? x.windowSeconds : 0)),
    );
    const lookback = forecastLookback(config.signals.values());
    this.forecastSeconds = lookback > 0 ? lookback + s.scrapeInterval : 0;
  }

  run(): { summary: ReactiveSummary; seconds: ReactiveSecond[]; syncs: ReactiveSync[] } {
    const { s } = this;
    const ticksPerSecond = Math.round(1 / TICK);
    const totalTicks = Math.round((s.end - s.start) / TICK);
    for (let k = -s.warmupTicks; k < totalTicks; k++) {
      const t = s.start + k * TICK;
      this.enterAnswered(t);
      if ((((k - s.scrapeOffsetTicks) % s.scrapeTicks) + s.scrapeTicks) % s.scrapeTicks === 0) {
        this.scrape(t);
      }
      if (k >= 0 && (k - s.syncOffsetTicks) % s.syncTicks === 0 && k >= s.syncOffsetTicks) {
        this.sync(t);
      }
      const { offered, ready } = this.serve(k, t);
      // drained pods leave
      this.pods = this.pods.filter(
        (p) => p.removedAt === undefined || p.backlog > 1e-9 || p.pending.length > 0,
      );
      if (k < 0) continue;
      this.secondOffered += offered * TICK;
      if ((k + 1) % ticksPerSecond === 0) {
        this.closeSecond(s.start + (k + 1 - ticksPerSecond) * TICK, ready);
      }
    }
    this.finish();
    return { summary: this.summary, seconds: this.seconds, syncs: this.syncs };
  }

  private newPod(readyAt: number): Pod {
    return {
      name: `pod-${this.serial++}`,
      readyAt,
      backlog: 0,
      rate: 0,
      counters: {
        latencySum: 0,
        inferenceSum: 0,
        waitSum: 0,
        count: 0,
        depthSeconds: 0,
        busySeconds: 0,
        requests: 0,
      },
      depth: 0,
      samples: [],
      pending: [],
    };
  }

  private live(): Pod[] {
    return this.pods.filter((p) => p.removedAt === undefined);
  }

  /** 0. Requests answered by now enter the counters. */
  private enterAnswered(t: number): void {
    for (const p of this.pods) {
      while ((p.pending[0]?.at ?? Number.POSITIVE_INFINITY) <= t) {
        const done = p.pending.shift() as Completion;
        p.counters.count += done.count;
        p.counters.requests += done.count;
        p.counters.latencySum += done.latencySum;
        p.counters.inferenceSum += done.inferenceSum;
        p.counters.waitSum += done.waitSum;
      }
    }
  }

  /** 1. Prometheus scrapes the ready pods. */
  private scrape(t: number): void {
    this.keepRequestSeries(t);
    for (const p of this.live()) {
      if (p.readyAt > t) continue;
      p.samples.push({ time: t, ...p.counters, depth: p.depth });
      if (this.forecastSeconds > 0) {
        const series = this.requestSeries.get(p.name) ?? [];
        series.push({ time: t, value: p.counters.requests });
        this.requestSeries.set(p.name, series);
      }
      while ((p.samples[0]?.time ?? t) < t - this.maxWindow - this.s.scrapeInterval) {
        p.samples.shift();
      }
    }
  }

  /**
   * Each pod's `http_requests_total` samples as Prometheus keeps them, pods gone included, for as
   * long as a forecast reads back (its range or period, and its rate window).
   */
  private keepRequestSeries(t: number): void {
    for (const [name, series] of this.requestSeries) {
      while ((series[0]?.time ?? t) < t - this.forecastSeconds) series.shift();
      if (series.length === 0) this.requestSeries.delete(name);
    }
  }

  /** The HPA's metric values at `t`, read from the ready pods' samples as the adapter would. */
  private metricInput(
    ready: readonly Pod[],
    t: number,
  ): Record<string, Record<string, number> | number> {
    const input: Record<string, Record<string, number> | number> = {};
    for (const metric of this.config.hpa.spec.metrics ?? []) {
      const name = (metric.pods ?? metric.object ?? metric.external)?.metric.name;
      const signal = name !== undefined ? this.config.signals.get(name) : undefined;
      if (name === undefined || !signal) continue;
      if (signal.kind === 'forecast') {
        const v = forecastValue(signal, [...this.requestSeries.values()], t);
        if (v !== undefined && Number.isFinite(v)) input[name] = v;
      } else if (metric.type === 'Pods') {
        const values: Record<string, number> = {};
        for (const p of ready) {
          const v = signalValue(signal, p.samples, t);
          if (v !== undefined && Number.isFinite(v)) values[p.name] = v;
        }
        if (Object.keys(values).length > 0) input[name] = values;
      } else {
        const v = pooledValue(signal, ready, t);
        if (v !== undefined && Number.isFinite(v)) input[name] = v;
      }
    }
    return input;
  }

  /** 2. The HPA syncs; pods are created or marked for removal as the decision says. */
  private sync(t: number): void {
    const existing = this.live();
    const ready = existing.filter((p) => p.readyAt <= t);
    const podInfos: PodInfo[] = existing.map((p) => ({
      name: p.name,
      phase: p.readyAt <= t ? 'Running' : 'Pending',
    }));
    const decision = this.hpa.sync({
      time: t,
      currentReplicas: this.replicas,
      statusReplicas: existing.length,
      pods: podInfos,
      metrics: this.metricInput(ready, t),
    });
    if (decision.scaled) {
      countScaleEvent(this.summary, decision, this.replicas, t, this.s.stepAt);
      if (decision.desiredReplicas > existing.length) {
        for (let i = existing.length; i < decision.desiredReplicas; i++) {
          this.pods.push(this.newPod(t + this.s.startupDelay));
        }
      } else if (decision.desiredReplicas < existing.length) {
        const removed = existing.length - decision.desiredReplicas;
        for (const p of scaleDownOrder(existing, t).slice(0, removed)) p.removedAt = t;
      }
      this.replicas = decision.desiredReplicas;
    }
    this.summary.maxReplicas = Math.max(this.summary.maxReplicas, this.replicas);
    const seen: Record<string, number | undefined> = {};
    for (const m of decision.metrics) seen[m.name] = m.current;
    this.syncs.push({
      time: t,
      replicas: this.replicas,
      seen,
      decision,
      explanation: describeDecision(decision),
    });
  }

  /** 3. The ready pods serve the tick [t, t + TICK); draining pods only work off their backlog. */
  private serve(k: number, t: number): { offered: number; ready: number } {
    const { s } = this;
    const offered = rateAt(s.load, k < 0 ? s.start : t);
    const serving = this.pods.filter((p) => p.removedAt === undefined && p.readyAt <= t);
    const share = serving.length > 0 ? offered / serving.length : 0;
    if (serving.length === 0 && k >= 0) this.secondFailed += offered * TICK;
    for (const p of this.pods) {
      const draining = p.removedAt !== undefined;
      if (!draining && p.readyAt > t) continue;
      this.serveOne(p, draining ? 0 : share, draining, k, t);
    }
    return { offered, ready: serving.length };
  }

  private serveOne(p: Pod, r: number, draining: boolean, k: number, t: number): void {
    const { pod, mu } = this.s;
    p.rate = r;
    const point: OperatingPoint = pod.at(r);
    const before = p.backlog;
    // the warm-up fills the windows at the first rate, in steady state: no backlog builds
    let after = k < 0 ? 0 : Math.max(0, before + (r - mu) * TICK);
    let shed = 0;
    if (pod.queueLimit !== null && point.depth + after > pod.queueLimit) {
      shed = Math.min(r * TICK, point.depth + after - pod.queueLimit);
      after = Math.max(0, after - shed);
    }
    p.backlog = after;
    const arrivals = r * TICK;
    const accepted = Math.max(0, arrivals - shed);
    const extraWait = (before + after) / 2 / mu;
    const depth = (draining ? 0 : point.depth) + (before + after) / 2;
    p.depth = (draining ? 0 : point.depth) + after;
    p.counters.depthSeconds += depth * TICK;
    // served this tick: the arrivals and what the backlog drained, at most μ
    p.counters.busySeconds += (Math.min(mu, r - shed / TICK + (before - after) / TICK) / mu) * TICK;
    if (accepted > 0) {
      // answered in FIFO order: the backlog's wait grows and shrinks by at most one tick
      // per tick, so completions stay (nearly) sorted; insert in order to be exact
      const latency = point.latency.mean + extraWait;
      const done: Completion = {
        at: t + TICK / 2 + latency,
        count: accepted,
        latencySum: accepted * latency,
        inferenceSum: accepted * point.inferenceSeconds,
        waitSum: accepted * (point.waitSeconds + extraWait),
      };
      let at = p.pending.length;
      while (at > 0 && (p.pending[at - 1]?.at ?? 0) > done.at) at--;
      p.pending.splice(at, 0, done);
      if (k >= 0) this.secondGroups.push({ weight: accepted, point, extraWait });
    }
    p.counters.requests += shed; // a 503 is answered at once
    if (k >= 0) this.secondFailed += shed;
  }

  /** 4. The second that started at `time` is over: its figures join the timeline. */
  private closeSecond(time: number, ready: number): void {
    const { secondGroups, secondFailed } = this;
    const value = sloStatistic(secondGroups, secondFailed, this.s.quantile);
    const second: ReactiveSecond = {
      time,
      offeredRps: this.secondOffered,
      replicas: this.replicas,
      ready,
      pods: this.pods.length,
      failed: secondFailed,
      backlog: this.pods.reduce((sum, p) => sum + p.backlog, 0),
      violation: value !== undefined && value > this.s.slo.seconds,
    };
    const p95 = mixtureQuantile(secondGroups, secondFailed, 0.95);
    const p99 = mixtureQuantile(secondGroups, secondFailed, 0.99);
    const mean = meanLatency(secondGroups);
    if (p95 !== undefined) second.p95 = p95;
    if (p99 !== undefined) second.p99 = p99;
    if (mean !== undefined) second.mean = mean;
    this.seconds.push(second);
    this.summary.failed += secondFailed;
    this.summary.offered += this.secondOffered;
    this.allFailed += secondFailed;
    for (const group of secondGroups) {
      const key = `${group.point.rps.toFixed(3)}|${group.extraWait.toFixed(4)}`;
      const seen = this.allGroups.get(key);
      if (seen) seen.weight += group.weight;
      else this.allGroups.set(key, { ...group });
    }
    this.secondGroups = [];
    this.secondFailed = 0;
    this.secondOffered = 0;
  }

  /** The figures of the whole run. */
  private finish(): void {
    const { summary } = this;
    summary.finalReplicas = this.replicas;
    const p95 = mixtureQuantile([...this.allGroups.values()], this.allFailed, 0.95);
    const p99 = mixtureQuantile([...this.allGroups.values()], this.allFailed, 0.99);
    if (p95 !== undefined) summary.p95 = p95;
    if (p99 !== undefined) summary.p99 = p99;
    summary.blocked = blockedNotes(
      this.syncs.map((sync) => sync.decision),
      this.s.syncPeriod,
      this.min,
    );
    const driving = drivingMetric(this.syncs.map((sync) => sync.decision));
    if (driving !== undefined) summary.drivingMetric = driving;
    const figures = timelineFigures(this.seconds, this.s.stepAt);
    summary.sloViolationSeconds = figures.sloViolationSeconds;
    summary.replicaSeconds = figures.replicaSeconds;
    if (figures.recoverySeconds !== undefined) summary.recoverySeconds = figures.recoverySeconds;
  }
}
