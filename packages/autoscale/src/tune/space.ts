/**
 * The configurations `mlscale tune` searches: the plan's HPA (a queue-depth target sized from the
 * profile, a latency guard) with its numbers opened up:
 * - the headroom of the per-pod target (how far below the SLO-meeting rate the HPA holds each pod,
 *   which sets the depth target): 0, 10, 20 and 30 % first, then 5 % either side of the best;
 * - minReplicas (1 up to the peak's pods);
 * - the scale-down stabilization window (half a pod's come-back time, the plan's own come-back
 *   time, twice that): how long a lower recommendation must hold before pods go;
 * - the scale-up policy: 1 or 2 pods a sync at most (`selectPolicy: Min` over the plan's two
 *   policies), or the plan's every pod up to maxReplicas at one sync. On bursty traffic the queue
 *   depth behind a burst stays in the pods that queued it, so an unlimited scale-up keeps adding
 *   pods until the backlog drains, then holds them for the window: a limit adds fewer;
 * - a forecast of the request rate as a further metric (none, `linear`, `smoothed`; `seasonal` when
 *   a period is given), sized over a pod's come-back time (see `plan/forecast.ts`).
 * maxReplicas is the training window's highest binned rate plus 25 % at the per-pod target, so
 * traffic a little above what the training saw still gets pods.
 * Each configuration is rendered by `plan`'s renderer, so every number in the files carries its
 * reason; the ones tune chose say so.
 */
import type { PodModel } from '../capacity/model.js';
import type { LatencySlo } from '../capacity/slo.js';
import type { ForecastMethod } from '../forecast/signal.js';
import { planForecast } from '../plan/forecast.js';
import { type AutoscalingPlan, planAutoscaling } from '../plan/plan.js';
import { renderPlan } from '../plan/render.js';
import type { ConfigFiles } from './evaluate.js';

/** The cluster's timings, as `simulate` takes them. */
export interface ClusterTimings {
  startupSeconds: number;
  syncPeriodSeconds: number;
  scrapeIntervalSeconds: number;
}

/** One point of the search space. */
export interface Candidate {
  headroom: number;
  minReplicas: number;
  /** Seconds; undefined: the plan's own (a pod's come-back time). */
  scaleDownStabilizationSeconds?: number;
  /**
   * Pods the HPA may add at one sync at most; undefined: the plan's (every pod up to
   * maxReplicas at one sync).
   */
  scaleUpPods?: number;
  /** A forecast metric beside the reactive ones; undefined: none. */
  forecast?: ForecastMethod;
}

/** The headrooms searched first; then {@link HEADROOM_STEP} either side of the best. */
export const HEADROOMS = [0, 0.1, 0.2, 0.3] as const;

/** The finer step around the best coarse headrooms. */
export const HEADROOM_STEP = 0.05;

/**
 * Scale-up limits searched (pods a sync; undefined: the plan's, every pod at one sync). The plan's
 * comes first: where two configurations cost the same, the one searched first is kept, and the
 * unlimited one holds steps and ramps the trace did not have better.
 */
export const SCALE_UP_PODS = [undefined, 2, 1] as const;

/**
 * Scale-down windows searched (seconds): the plan's own (undefined, a pod's come-back time) first,
 * as above, then half of it and twice it.
 */
export function stabilizationWindows(timings: ClusterTimings): (number | undefined)[] {
  const comeBack = Math.ceil(
    timings.syncPeriodSeconds + timings.scrapeIntervalSeconds + timings.startupSeconds,
  );
  return [undefined, Math.ceil(comeBack / 2), 2 * comeBack];
}

/** A short label: `tuned: headroom 15%, min 6, down-window 32s, up 1 pod/sync`. */
export function candidateLabel(c: Candidate, plan: AutoscalingPlan): string {
  const up =
    c.scaleUpPods !== undefined
      ? `, up ${c.scaleUpPods} pod${c.scaleUpPods === 1 ? '' : 's'}/sync`
      : '';
  const forecast = c.forecast ? `, forecast ${c.forecast}` : '';
  return `tuned: headroom ${Math.round(c.headroom * 100)}%, min ${c.minReplicas}, down-window ${plan.scaleDown.stabilizationWindowSeconds.value}s${up}${forecast}`;
}

/** Limits the plan's scale-up to `pods` a sync: `selectPolicy: Min` over its two policies. */
function limitScaleUp(plan: AutoscalingPlan, pods: number, why: string): void {
  const before = plan.scaleUp.pods.value;
  plan.scaleUp.pods = {
    value: pods,
    why: `at most ${pods} pod${pods === 1 ? '' : 's'} a sync, chosen by mlscale tune (the plan's would add up to ${before} at one sync): ${why}`,
  };
  plan.scaleUp.percent = {
    value: plan.scaleUp.percent.value,
    why: 'or double the pods a sync, whichever is fewer (selectPolicy Min)',
  };
  plan.scaleUp.selectPolicy = {
    value: 'Min',
    why: `the fewer pods of the two policies: a burst's queue stays in the pods that queued it and keeps the depth high until it drains, so adding every pod the depth asks for at once overshoots and the scale-down window then holds them (chosen by mlscale tune: ${why})`,
  };
}

/**
 * The plan of a candidate, its numbers' reasons amended where tune chose them.
 *
 * @param pod - the pod model
 * @param c - the candidate
 * @param settings - SLO, timings and the training window's peak rate
 * @returns the plan
 */
export function candidatePlan(
  pod: PodModel,
  c: Candidate,
  settings: {
    slo: LatencySlo;
    timings: ClusterTimings;
    peakRps: number;
    why: string;
    /** The period of a seasonal forecast (seconds). */
    forecastPeriodSeconds?: number;
  },
): AutoscalingPlan {
  const plan = planAutoscaling(pod, {
    slo: settings.slo,
    headroom: c.headroom,
    minReplicas: c.minReplicas,
    peakRps: settings.peakRps,
    startupSeconds: settings.timings.startupSeconds,
    syncPeriodSeconds: settings.timings.syncPeriodSeconds,
    scrapeIntervalSeconds: settings.timings.scrapeIntervalSeconds,
  });
  plan.targetRps.why = `${plan.targetRps.why} (headroom chosen by mlscale tune: ${settings.why})`;
  plan.minReplicas = {
    value: c.minReplicas,
    why: `chosen by mlscale tune: ${settings.why}`,
  };
  plan.maxReplicas.why = `${plan.maxReplicas.why} (the peak is the training window's highest binned rate plus 25 %)`;
  if (c.scaleDownStabilizationSeconds !== undefined) {
    plan.scaleDown.stabilizationWindowSeconds = {
      value: c.scaleDownStabilizationSeconds,
      why: `chosen by mlscale tune (the plan's would be ${plan.scaleDown.stabilizationWindowSeconds.value} s): ${settings.why}`,
    };
  }
  if (c.scaleUpPods !== undefined) limitScaleUp(plan, c.scaleUpPods, settings.why);
  if (c.forecast) {
    plan.forecast = planForecast(plan, {
      method: c.forecast,
      ...settings.timings,
      ...(settings.forecastPeriodSeconds !== undefined
        ? { periodSeconds: settings.forecastPeriodSeconds }
        : {}),
    });
    plan.forecast.why = `${plan.forecast.why} (chosen by mlscale tune: ${settings.why})`;
  }
  return plan;
}

/**
 * A candidate's files, as `tune -o` writes them.
 *
 * @param plan - from {@link candidatePlan}
 * @param name - its label
 * @returns the HPA and adapter values
 */
export function candidateFiles(plan: AutoscalingPlan, name: string): ConfigFiles {
  const { files } = renderPlan(plan);
  return {
    name,
    hpaYaml: files['hpa.yaml'] as string,
    adapterYaml: files['prometheus-adapter-values.yaml'] as string,
  };
}
