/**
 * The configurations `mlscale tune` searches: the plan's HPA (a queue-depth target sized from the
 * profile, a latency guard, every pod up to maxReplicas allowed at one sync) with its numbers
 * opened up:
 * - the headroom of the per-pod target (0, 10 or 20 %: how far below the SLO-meeting rate the HPA
 *   holds each pod, which sets the depth target);
 * - minReplicas (1 up to the peak's pods);
 * - the scale-down stabilization window (the plan's "as long as a pod takes to come back", twice
 *   that, and 10 minutes): how long a lower recommendation must hold before pods go.
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
  /** A forecast metric beside the reactive ones; undefined: none. */
  forecast?: ForecastMethod;
}

/** The headrooms searched. */
export const HEADROOMS = [0, 0.1, 0.2] as const;

/** Scale-down windows searched besides the plan's own (seconds). */
export function stabilizationWindows(timings: ClusterTimings): (number | undefined)[] {
  const comeBack = Math.ceil(
    timings.syncPeriodSeconds + timings.scrapeIntervalSeconds + timings.startupSeconds,
  );
  return [undefined, 2 * comeBack, Math.max(600, 3 * comeBack)];
}

/** A short label: `h10% min3 down64s`. */
export function candidateLabel(c: Candidate, plan: AutoscalingPlan): string {
  const forecast = c.forecast ? `, forecast ${c.forecast}` : '';
  return `tuned: headroom ${Math.round(c.headroom * 100)}%, min ${c.minReplicas}, down-window ${plan.scaleDown.stabilizationWindowSeconds.value}s${forecast}`;
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
