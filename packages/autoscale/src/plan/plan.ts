/**
 * `mlscale plan`: autoscaling targets derived from a pod's measured capacity and a latency SLO,
 * each number with where it came from.
 *
 * - Per-pod rate target: the highest rate whose measured SLO statistic meets the objective
 *   ({@link rateMeetingSlo}), less the headroom (default 20 %), which covers the time the HPA
 *   takes to see a rise and the pods take to start.
 * - Queue depth target (`request_queue_depth_avg`), the metric that sizes the replicas: Little's
 *   law at that rate, rate × the mean latency measured there (a pod holds, on average, what
 *   arrives during one mean latency).
 * - Latency target (`http_request_duration_seconds_avg`), a guard: the mean latency at which the
 *   SLO statistic reaches the objective if latency keeps the shape measured at the SLO-meeting
 *   rate. Not the mean at the target rate: a pod's latency cannot fall below its service time, and
 *   a target near that floor keeps the metric within the controller's tolerance at any load, so
 *   the HPA (which takes the largest proposal of its metrics) would never scale down.
 * - minReplicas: the base rate over the per-pod target, at least 2; with a peak rate, raised until
 *   a burst from base to peak is absorbed within one start-up after the new pods serve. The backlog
 *   that builds before they serve stays in the pods that queued it (a Service balances new
 *   requests, not queued ones), so only the pods already there can drain it.
 * - maxReplicas: the peak at the per-pod target. The scale-up may add every pod from minReplicas to
 *   maxReplicas at one sync.
 * - Scale-down: hold a recommendation as long as a pod takes to come back (a sync and a scrape to
 *   see a rise, then the start-up): a dip shorter than that never costs a start-up. Then at most
 *   half the pods a minute.
 */
import { type PodModel, rateMeetingSlo, round } from '../capacity/model.js';
import { formatSlo, type LatencySlo } from '../capacity/slo.js';
import type { PlannedForecast } from './forecast.js';

/** What {@link planAutoscaling} takes. */
export interface PlanOptions {
  /** The latency objective. */
  slo: LatencySlo;
  /** Share of the SLO-meeting rate kept free (default 0.2). */
  headroom?: number;
  /** Requests per second at the quietest time (sets minReplicas). */
  baseRps?: number;
  /** Requests per second at the busiest time (sets maxReplicas and the scale-up policy). */
  peakRps?: number;
  /** Seconds from the HPA's decision until a new pod serves (default 30). */
  startupSeconds?: number;
  /** The HPA's sync period (default 15 s, the controller's). */
  syncPeriodSeconds?: number;
  /** Prometheus' scrape interval of the pods (default 5 s); the depth window is three of them. */
  scrapeIntervalSeconds?: number;
  /** minReplicas as given, instead of derived (the burst note then says what it costs). */
  minReplicas?: number;
  /**
   * Pods that share one GPU (time-slicing, MPS): adds a target on each pod's own share of its GPU
   * (`gpu_process_utilization_percent`, from `@mlscale/gpu-probe`). Default: none.
   */
  podsPerGpu?: number;
}

/** A number of the plan with its reason. */
export interface Explained<T = number> {
  value: T;
  /** Where it comes from, for a person (written as a YAML comment). */
  why: string;
}

/** The plan. */
export interface AutoscalingPlan {
  slo: LatencySlo;
  headroom: number;
  /** μ: requests per second one pod serves at most. */
  capacityRps: Explained;
  /**
   * What the profile did not measure, for every figure derived from it: its capacity is a lower
   * bound (no step saturated the pod), or its ramp was cut short after saturating it. Null when
   * the calibration ran as planned.
   */
  caveat: string | null;
  /** The highest per-pod rate meeting the SLO. */
  sloRps: Explained;
  /** The per-pod rate the HPA holds the pods at. */
  targetRps: Explained;
  /** `request_queue_depth_avg` target (requests). */
  depthTarget: Explained;
  /** `http_request_duration_seconds_avg` target (seconds). */
  latencyTarget: Explained;
  /** Seconds of the depth window (`rate(request_queue_depth_seconds_total[w])`). */
  depthWindowSeconds: Explained;
  minReplicas: Explained;
  maxReplicas: Explained;
  /** Scale-up: pods that may be added per period, the period and the window. */
  scaleUp: {
    pods: Explained;
    percent: Explained;
    periodSeconds: Explained;
    stabilizationWindowSeconds: Explained;
    /**
     * Which of the two policies binds: `Max` (the default, the more pods of the two) or `Min`
     * (the fewer: `pods` a period at most, as `mlscale tune` may choose).
     */
    selectPolicy?: Explained<'Max' | 'Min'>;
  };
  /** Scale-down. */
  scaleDown: {
    percent: Explained;
    periodSeconds: Explained;
    stabilizationWindowSeconds: Explained;
  };
  /** `gpu_process_utilization_percent` target (percent), with `podsPerGpu`. */
  gpuShareTarget?: Explained;
  /** A forecast of the request rate as a further metric (see `plan/forecast.ts`). */
  forecast?: PlannedForecast;
  /** What the plan expects of a burst from base to peak (when both are given). */
  burst?: {
    /** Seconds until the HPA sees the burst (a sync and a scrape, at worst). */
    detectSeconds: number;
    /** Requests waiting when the new pods start serving. */
    backlog: number;
    /** Seconds from the burst until the new pods serve. */
    readyAfterSeconds: number;
    /** Seconds the pods that queued the backlog then take to drain it. */
    drainSeconds: number;
    /** The drain with each minReplicas from the base's floor up to maxReplicas. */
    drainByMinReplicas: { minReplicas: number; backlog: number; drainSeconds: number }[];
    why: string;
  };
}

function ms(seconds: number): string {
  return `${round(seconds * 1000)} ms`;
}

/**
 * Derives the plan (see the module comment).
 *
 * @param model - the pod model of the capacity profile
 * @param options - the SLO and the optional rates and timings
 * @returns every number with its reason
 * @throws Error when no measured rate meets the SLO, or an option is out of range
 * @example
 * const plan = planAutoscaling(podModel(profile), { slo: { statistic: 'p95', seconds: 0.2 } });
 * plan.depthTarget.value; // e.g. 9.3
 */
export function planAutoscaling(model: PodModel, options: PlanOptions): AutoscalingPlan {
  const timing = planTiming(options);
  const meeting = rateMeetingSloOrThrow(model, options.slo);
  const figures = planFigures(model, options, timing, meeting);
  const plan = basePlan(model, options, timing, figures, meeting);
  const k = options.podsPerGpu;
  if (k !== undefined) {
    plan.gpuShareTarget = gpuShareTarget(k, figures.targetRps, model.capacityRps, timing.headroom);
  }
  if (options.peakRps !== undefined)
    sizeForPeak(plan, options.peakRps, timing, figures, model.capacityRps);
  return plan;
}

/** The plan's timings, with the options' ranges checked. */
interface PlanTiming {
  headroom: number;
  startup: number;
  sync: number;
  scrape: number;
  /** Seconds until the HPA sees a rise: a sync and a scrape. */
  detect: number;
  /** Seconds until a pod asked for serves: seeing the rise, then the start-up. */
  comeBack: number;
}

function planTiming(options: PlanOptions): PlanTiming {
  const headroom = options.headroom ?? 0.2;
  const startup = options.startupSeconds ?? 30;
  const sync = options.syncPeriodSeconds ?? 15;
  const scrape = options.scrapeIntervalSeconds ?? 5;
  if (!(headroom >= 0 && headroom < 1)) throw new Error('headroom must be in [0, 1)');
  if (options.baseRps !== undefined && !(options.baseRps >= 0))
    throw new Error('base rate must be >= 0');
  if (options.peakRps !== undefined && !(options.peakRps > 0))
    throw new Error('peak rate must be > 0');
  if (
    options.baseRps !== undefined &&
    options.peakRps !== undefined &&
    options.peakRps < options.baseRps
  ) {
    throw new Error(`peak rate (${options.peakRps}) is below the base rate (${options.baseRps})`);
  }
  const detect = sync + scrape;
  return { headroom, startup, sync, scrape, detect, comeBack: detect + startup };
}

type SloRate = NonNullable<ReturnType<typeof rateMeetingSlo>>;

function rateMeetingSloOrThrow(model: PodModel, slo: LatencySlo): SloRate {
  const meeting = rateMeetingSlo(model, slo);
  if (!meeting) {
    const first = model.points[0];
    throw new Error(
      `no measured rate meets ${formatSlo(slo)}: at the lowest step (${round(first?.rps ?? 0)} req/s) ${slo.statistic} is already ${ms(first ? first.latency[slo.statistic] : 0)}; relax the SLO or make the pod faster`,
    );
  }
  return meeting;
}

/** The figures the plan's numbers are derived from. */
interface PlanFigures {
  targetRps: number;
  /** The pod's operating point at the target rate. */
  at: ReturnType<PodModel['at']>;
  depth: number;
  depthWindow: number;
  /** The operating point at the SLO-meeting rate, and its SLO statistic. */
  atSlo: ReturnType<PodModel['at']>;
  sloStatistic: number;
  latencyTarget: number;
  /** An idle pod's mean latency. */
  floor: number;
  basePods: number;
  baseWhy: string;
  /** minReplicas as given. */
  given: number | undefined;
}

function planFigures(
  model: PodModel,
  options: PlanOptions,
  timing: PlanTiming,
  meeting: SloRate,
): PlanFigures {
  const { slo } = options;
  const targetRps = meeting.rps * (1 - timing.headroom);
  const at = model.at(targetRps);
  const atSlo = model.at(meeting.rps);
  const sloStatistic = atSlo.latency[slo.statistic];
  const latencyTarget =
    slo.statistic === 'mean' || !(sloStatistic > 0)
      ? slo.seconds
      : (slo.seconds * atSlo.latency.mean) / sloStatistic;
  const baseRps = options.baseRps;
  const basePods = baseRps === undefined ? 2 : Math.max(2, Math.ceil(baseRps / targetRps));
  const baseWhy =
    baseRps === undefined
      ? 'no --base-rate: 2, so that one pod lost or restarting leaves one serving'
      : `ceil(base ${round(baseRps)} req/s / ${round(targetRps)} req/s per pod) = ${Math.ceil(baseRps / targetRps)}${Math.ceil(baseRps / targetRps) < 2 ? ', raised to 2 so that one pod lost leaves one serving' : ''}`;
  const given = options.minReplicas;
  if (given !== undefined && !(Number.isInteger(given) && given >= 1))
    throw new Error('minReplicas must be a whole number >= 1');
  return {
    targetRps,
    at,
    depth: targetRps * at.latency.mean,
    depthWindow: 3 * timing.scrape,
    atSlo,
    sloStatistic,
    latencyTarget,
    floor: model.points[0]?.latency.mean ?? at.latency.mean,
    basePods,
    baseWhy,
    given,
  };
}

/** The plan before the GPU share and the peak sizing: targets, replicas and policies. */
function basePlan(
  model: PodModel,
  options: PlanOptions,
  timing: PlanTiming,
  f: PlanFigures,
  meeting: SloRate,
): AutoscalingPlan {
  const { slo } = options;
  const { headroom } = timing;
  return {
    slo,
    headroom,
    capacityRps: { value: model.capacityRps, why: `pod capacity: ${model.capacitySource}` },
    caveat: model.lowerBound
      ? `the profile's capacity is a lower bound (${model.lowerBound}): the per-pod rate and every target below are derived from it, not measured at the limit; calibrate again past saturation`
      : model.cutShort,
    sloRps: {
      value: meeting.rps,
      why: model.lowerBound ? `at least: ${meeting.how}, and no step went past it` : meeting.how,
    },
    targetRps: {
      value: f.targetRps,
      why: `${round(meeting.rps)} req/s meets ${formatSlo(slo)}, less ${Math.round(headroom * 100)} % headroom`,
    },
    depthTarget: {
      value: f.depth,
      why: `Little's law at ${round(f.targetRps)} req/s per pod: ${round(f.targetRps)} req/s x ${ms(f.at.latency.mean)} mean latency = ${round(f.depth)} requests in the pod (the pod's own mean depth measured there: ${round(f.at.depth)})`,
    },
    latencyTarget: { value: f.latencyTarget, why: latencyTargetWhy(slo, meeting, f) },
    depthWindowSeconds: {
      value: f.depthWindow,
      why: `three scrapes at ${timing.scrape} s: the exact mean depth over the window from the integral counter`,
    },
    minReplicas:
      f.given === undefined
        ? { value: f.basePods, why: f.baseWhy }
        : { value: f.given, why: `as given (the base alone needs ${f.basePods}: ${f.baseWhy})` },
    maxReplicas: {
      value: Math.max(10, f.given ?? 0),
      why: 'no --peak-rate: 10; set --peak-rate to size it',
    },
    ...scalingPolicies(timing),
  };
}

function latencyTargetWhy(slo: LatencySlo, meeting: SloRate, f: PlanFigures): string {
  return slo.statistic === 'mean'
    ? `the objective itself (a guard: the queue depth sizes the replicas)`
    : `a guard, the queue depth sizes the replicas: the mean latency at which ${slo.statistic} reaches ${ms(slo.seconds)} if latency keeps the shape measured at ${round(meeting.rps)} req/s (mean ${ms(f.atSlo.latency.mean)}, ${slo.statistic} ${ms(f.sloStatistic)}); an idle pod's ${ms(f.floor)} is ${Math.round((100 * f.floor) / f.latencyTarget)} % of it${f.floor < 0.8 * f.latencyTarget ? ", far below the controller's tolerance, so this guard does not hold a scale-down" : ': so close that this guard may hold scale-downs (the HPA takes the largest proposal); relax the SLO or remove this metric'}`;
}

function scalingPolicies(timing: PlanTiming): Pick<AutoscalingPlan, 'scaleUp' | 'scaleDown'> {
  const { sync, detect, startup, comeBack } = timing;
  return {
    scaleUp: {
      pods: { value: 4, why: "no --peak-rate: Kubernetes' default, 4 pods a sync" },
      percent: {
        value: 100,
        why: 'or double the pods a sync, whichever is more (selectPolicy Max)',
      },
      periodSeconds: {
        value: sync,
        why: `one sync period: the policy allows its step at every sync`,
      },
      stabilizationWindowSeconds: {
        value: 0,
        why: 'the signals are already means over a window; a window on top only adds delay',
      },
    },
    scaleDown: {
      percent: { value: 50, why: 'at most half the pods a minute (not derived from the profile)' },
      periodSeconds: { value: 60, why: 'the period of that limit' },
      stabilizationWindowSeconds: {
        value: Math.ceil(comeBack),
        why: `as long as a pod takes to come back (a sync and a scrape to see a rise, ${detect} s, then the start-up, ${startup} s): a dip shorter than that never costs a start-up, and pods are not held longer than it takes to get them back`,
      },
    },
  };
}

/** The target on each pod's own share of a GPU that `k` pods share. */
function gpuShareTarget(k: number, targetRps: number, mu: number, headroom: number): Explained {
  if (!(Number.isInteger(k) && k >= 1)) throw new Error('pods per GPU must be a whole number >= 1');
  // A GPU-bound pod is busy for the share of its capacity it serves: its own GPU share.
  const share = (100 * targetRps) / mu;
  const ceiling = (100 / k) * (1 - headroom);
  return k * share <= 100 * (1 - headroom)
    ? {
        value: share,
        why: `the pod's own GPU share at ${round(targetRps)} req/s: busy ${round(targetRps)} / ${round(mu)} req/s of the time (a GPU-bound model); ${k} pods at that share use ${round(k * share)} % of their GPU`,
      }
    : {
        value: ceiling,
        why: `capped at 100 / ${k} pods per GPU less ${Math.round(headroom * 100)} % headroom: at ${round(targetRps)} req/s a pod would be busy ${round(share)} % of the time, and ${k} of them would need ${round(k * share)} % of one GPU, so a busy GPU gives each at most ${round(100 / k)} % and a higher target would never scale up. The profile was measured on a GPU of its own: calibrate on a shared one`,
      };
}

/** A burst's backlog and drain with `m` pods there when it starts. */
interface Drain {
  minReplicas: number;
  backlog: number;
  drainSeconds: number;
}

/** Sizes maxReplicas, the scale-up and (unless given) minReplicas for a burst to the peak rate. */
function sizeForPeak(
  plan: AutoscalingPlan,
  peak: number,
  timing: PlanTiming,
  f: PlanFigures,
  mu: number,
): void {
  const { startup, detect, comeBack } = timing;
  const { targetRps, basePods, baseWhy, given } = f;
  const steadyPods = Math.ceil(peak / targetRps);
  const max = Math.max(steadyPods, plan.minReplicas.value);
  // Each pod there when the burst starts takes peak / m until the new pods serve (comeBack
  // seconds at worst) and serves μ: it queues the difference. Then it takes peak / max and
  // drains at its spare capacity, μ - peak / max (positive: peak / max <= the target < μ).
  const spare = mu - peak / max;
  const drainWith = (m: number): Drain => {
    const backlog = Math.max(0, peak / m - mu) * comeBack;
    const drainSeconds = backlog === 0 ? 0 : spare > 0 ? backlog / spare : Number.POSITIVE_INFINITY;
    return { minReplicas: m, backlog: backlog * m, drainSeconds };
  };
  const candidates: Drain[] = [];
  for (let m = basePods; m <= max; m++) {
    candidates.push(drainWith(m));
    if ((candidates.at(-1)?.drainSeconds ?? 0) <= startup) break;
  }
  const chosen =
    given === undefined ? (candidates.at(-1) as Drain) : drainWith(Math.min(given, max));
  const seconds = (s: number) => (Number.isFinite(s) ? `${Math.round(s)} s` : 'never');
  const list = candidates
    .map((o) => `${o.minReplicas} pods: ${seconds(o.drainSeconds)}`)
    .join(', ');
  if (given === undefined && chosen.minReplicas > basePods) {
    plan.minReplicas = {
      value: chosen.minReplicas,
      why: `${baseWhy}; raised to ${chosen.minReplicas} so that a burst to ${round(peak)} req/s is drained within one start-up (${startup} s) after the new pods serve. The backlog stays in the pods that queued it; they drain it in ${list}. Set --min-replicas to trade that for fewer standing pods`,
    };
  }
  plan.maxReplicas = {
    value: max,
    why: `the peak at the per-pod target: ceil(${round(peak)} / ${round(targetRps)}) = ${steadyPods}${max > steadyPods ? `, raised to minReplicas` : ''}; more pods would not drain a burst's backlog much sooner (it stays in the pods that queued it)`,
  };
  plan.scaleUp.pods = {
    value: Math.max(1, max - plan.minReplicas.value),
    why: `every pod from minReplicas to maxReplicas (${max} - ${plan.minReplicas.value}) may be added at one sync, so a burst to the peak is served one start-up (${startup} s) after the first sync that sees it`,
  };
  plan.burst = {
    detectSeconds: detect,
    backlog: chosen.backlog,
    readyAfterSeconds: comeBack,
    drainSeconds: chosen.drainSeconds,
    drainByMinReplicas: candidates,
    why: `a step to ${round(peak)} req/s is seen within a sync and a scrape (${detect} s) and the new pods serve ${startup} s later; meanwhile ${chosen.minReplicas} pods at ${round(mu)} req/s leave ${Math.round(chosen.backlog)} requests waiting, which stay in those pods and drain at ${round(mu)} - ${round(peak)} / ${max} req/s each: ${Number.isFinite(chosen.drainSeconds) ? `about ${Math.round(chosen.drainSeconds)} s more` : 'never, they have no spare capacity at the peak'} (a bounded queue turns that backlog into 503s instead)`,
  };
}
