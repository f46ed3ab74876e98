/**
 * `mlscale plan`: autoscaling targets derived from a pod's measured capacity and a latency SLO,
 * each number with where it came from.
 *
 * - Per-pod rate target: the highest rate whose measured SLO statistic meets the objective
 *   ({@link rateMeetingSlo}), less the headroom (default 20 %), which covers the time the HPA
 *   takes to see a rise and the pods take to start.
 * - Queue depth target (`request_queue_depth_avg`): Little's law at that rate, rate × the mean
 *   latency measured there (a pod holds, on average, what arrives during one mean latency).
 * - Latency target (`http_request_duration_seconds_avg`): the mean latency measured at that rate.
 * - minReplicas: the base rate over the per-pod target, at least 2.
 * - maxReplicas and scale-up: enough pods to serve the peak at the per-pod target, and enough
 *   capacity to serve it plus the backlog that builds up before the new pods serve (one sync and
 *   one scrape to see the burst, plus the start-up) spread over one start-up time; all of them may
 *   be added at one sync. The backlog stays in the pods that queued it, so the plan states how long
 *   they take to drain it.
 * - Scale-down: not derived from the profile (the profile says nothing about how load falls):
 *   300 s stabilization, then at most half the pods a minute.
 */
import { type PodModel, rateMeetingSlo, round } from '../capacity/model.js';
import { formatSlo, type LatencySlo } from '../capacity/slo.js';

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
  };
  /** Scale-down. */
  scaleDown: {
    percent: Explained;
    periodSeconds: Explained;
    stabilizationWindowSeconds: Explained;
  };
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
  const slo = options.slo;
  const meeting = rateMeetingSlo(model, slo);
  if (!meeting) {
    const first = model.points[0];
    throw new Error(
      `no measured rate meets ${formatSlo(slo)}: at the lowest step (${round(first?.rps ?? 0)} req/s) ${slo.statistic} is already ${ms(first ? first.latency[slo.statistic] : 0)}; relax the SLO or make the pod faster`,
    );
  }
  const mu = model.capacityRps;
  const targetRps = meeting.rps * (1 - headroom);
  const at = model.at(targetRps);
  const depth = targetRps * at.latency.mean;
  const depthWindow = 3 * scrape;

  const baseRps = options.baseRps;
  const minPods = baseRps === undefined ? 2 : Math.max(2, Math.ceil(baseRps / targetRps));
  const minWhy =
    baseRps === undefined
      ? 'no --base-rate: 2, so that one pod lost or restarting leaves one serving'
      : `ceil(base ${round(baseRps)} req/s / ${round(targetRps)} req/s per pod) = ${Math.ceil(baseRps / targetRps)}${Math.ceil(baseRps / targetRps) < 2 ? ', raised to 2 so that one pod lost leaves one serving' : ''}`;

  const plan: AutoscalingPlan = {
    slo,
    headroom,
    capacityRps: { value: mu, why: `pod capacity: ${model.capacitySource}` },
    sloRps: { value: meeting.rps, why: meeting.how },
    targetRps: {
      value: targetRps,
      why: `${round(meeting.rps)} req/s meets ${formatSlo(slo)}, less ${Math.round(headroom * 100)} % headroom`,
    },
    depthTarget: {
      value: depth,
      why: `Little's law at ${round(targetRps)} req/s per pod: ${round(targetRps)} req/s x ${ms(at.latency.mean)} mean latency = ${round(depth)} requests in the pod (the pod's own mean depth measured there: ${round(at.depth)})`,
    },
    latencyTarget: {
      value: at.latency.mean,
      why: `mean latency measured at ${round(targetRps)} req/s per pod (${slo.statistic} there: ${ms(at.latency[slo.statistic])}, objective ${ms(slo.seconds)})`,
    },
    depthWindowSeconds: {
      value: depthWindow,
      why: `three scrapes at ${scrape} s: the exact mean depth over the window from the integral counter`,
    },
    minReplicas: { value: minPods, why: minWhy },
    maxReplicas: { value: 10, why: 'no --peak-rate: 10; set --peak-rate to size it' },
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
        value: 300,
        why: "scale down only to the highest recommendation of the last 5 minutes (Kubernetes' default), so a dip does not cost a start-up",
      },
    },
  };

  if (options.peakRps !== undefined) {
    const peak = options.peakRps;
    const steadyPods = Math.ceil(peak / targetRps);
    const detect = sync + scrape;
    const fromPods = minPods;
    const backlog = Math.max(0, peak - fromPods * mu) * (detect + startup);
    const burstPods = Math.ceil((peak + backlog / startup) / mu);
    const max = Math.max(steadyPods, burstPods, minPods);
    // The backlog stays in the pods that queued it (a Service balances new requests, not queued
    // ones): each drains it at its capacity less its share of the peak.
    const perPod = backlog / fromPods;
    const spare = mu - peak / max;
    const drain = spare > 0 ? perPod / spare : Number.POSITIVE_INFINITY;
    plan.maxReplicas = {
      value: max,
      why:
        burstPods > steadyPods
          ? `capacity for the peak plus the backlog of ${Math.round(backlog)} requests built up before new pods serve, spread over one start-up (${startup} s): ceil((${round(peak)} + ${Math.round(backlog)} / ${startup}) / ${round(mu)} req/s per pod) = ${burstPods}; the peak alone needs ceil(${round(peak)} / ${round(targetRps)}) = ${steadyPods}`
          : `the peak at the per-pod target: ceil(${round(peak)} / ${round(targetRps)}) = ${steadyPods}`,
    };
    plan.scaleUp.pods = {
      value: Math.max(1, max - minPods),
      why: `every pod from minReplicas to maxReplicas (${max} - ${minPods}) may be added at one sync, so a burst to the peak is served one start-up (${startup} s) after the first sync that sees it`,
    };
    plan.burst = {
      detectSeconds: detect,
      backlog,
      readyAfterSeconds: detect + startup,
      drainSeconds: drain,
      why: `a step to ${round(peak)} req/s is seen within a sync and a scrape (${detect} s) and the new pods serve ${startup} s later; meanwhile ${fromPods} pods at ${round(mu)} req/s leave ${Math.round(backlog)} requests waiting, which stay in those pods and drain at ${round(mu)} - ${round(peak)} / ${max} req/s each: about ${Number.isFinite(drain) ? `${Math.round(drain)} s` : 'never'} more (more pods shorten it only towards ${Math.round(perPod / mu)} s; a bounded queue turns that backlog into 503s instead)`,
    };
  }
  return plan;
}
