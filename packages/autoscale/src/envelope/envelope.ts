/**
 * The traffic envelope of an autoscaling configuration (`mlscale envelope`): the largest step and
 * the fastest ramp from a base rate it holds within an SLO budget, found by simulating them with
 * the reactive simulator (`simulate --profile`'s model).
 *
 * - A **step**: the base rate for `leadSeconds` (the pods settle at minReplicas), then `k` × the
 *   base for `holdSeconds`, then the base again for `leadSeconds`. `k` runs over a ladder (1.5, 2,
 *   3, 4, 6, 8, 12, 16, …) up to what maxReplicas pods serve within the SLO, then a bisection
 *   between the largest `k` held and the next refines it.
 * - A **ramp**: the same, the rise from the base to the peak (what maxReplicas pods serve within
 *   the SLO) taking `d` seconds, from 20 minutes down to 15 s; the fastest held is reported as
 *   req/s per minute.
 *
 * A scenario is held when its seconds over the SLO are at most `budget` × its duration. More load
 * or a faster rise is assumed to cost no less (the search stops at the first scenario not held in
 * the ladder); every scenario simulated is in the result, so a reader sees when that was not so.
 */
import { type PodModel, rateMeetingSlo } from '../capacity/model.js';
import type { LatencySlo } from '../capacity/slo.js';
import type { LoadTrace } from '../simulate/load.js';
import {
  type ReactiveConfig,
  type ReactiveOptions,
  simulateReactive,
} from '../simulate/reactive.js';

/** What {@link envelopeOf} takes besides the configuration. */
export interface EnvelopeOptions {
  slo: LatencySlo;
  /** Share of each scenario's seconds allowed over the SLO (0.01 for 1 %). */
  budget: number;
  /** The base rate, req/s (default: half of what minReplicas pods serve within the SLO). */
  baseRps?: number;
  /** Seconds at the base before and after the rise (default 300). */
  leadSeconds?: number;
  /** Seconds at the top (default 600). */
  holdSeconds?: number;
  /** The simulator's timings. */
  simulation: Omit<ReactiveOptions, 'slo' | 'stepAt'>;
}

/** One scenario simulated. */
export interface EnvelopeScenario {
  kind: 'step' | 'ramp';
  /** Step: the top as a multiple of the base; ramp: the top too (the peak's). */
  times: number;
  /** Seconds the rise takes (0 for a step). */
  riseSeconds: number;
  /** Requests per second gained per minute during the rise (Infinity for a step). */
  slopePerMinute: number;
  sloViolationSeconds: number;
  allowedSeconds: number;
  held: boolean;
  replicaSeconds: number;
  maxReplicas: number;
}

/** The envelope of one configuration. */
export interface Envelope {
  name: string;
  baseRps: number;
  baseWhy: string;
  /** The rate maxReplicas pods serve within the SLO: the ramps' peak. */
  peakRps: number;
  /** The per-pod rate within the SLO. */
  sloRps: number;
  /** The largest step held, × the base (undefined: not even the smallest). */
  largestStep?: number;
  /** The fastest ramp held to the peak, req/s per minute (undefined: not even the slowest). */
  fastestRampPerMinute?: number;
  fastestRampSeconds?: number;
  scenarios: EnvelopeScenario[];
}

const STEP_LADDER = [1.5, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64];
const RISE_LADDER = [1200, 600, 300, 180, 120, 60, 30, 15];

function scenarioLoad(
  base: number,
  top: number,
  rise: number,
  lead: number,
  hold: number,
): LoadTrace {
  const points = [{ time: 0, rps: base }];
  if (rise <= 0) points.push({ time: lead, rps: top });
  else {
    const steps = Math.max(1, Math.round(rise / 5));
    for (let i = 0; i <= steps; i++)
      points.push({ time: lead + (i * rise) / steps, rps: base + ((top - base) * i) / steps });
  }
  points.push({ time: lead + rise + hold, rps: base });
  points.push({ time: 2 * lead + rise + hold, rps: base });
  return { points };
}

function simulateScenario(
  config: ReactiveConfig,
  pod: PodModel,
  options: EnvelopeOptions,
  shape: { base: number; top: number; rise: number; kind: 'step' | 'ramp' },
): EnvelopeScenario {
  const lead = options.leadSeconds ?? 300;
  const hold = options.holdSeconds ?? 600;
  const load = scenarioLoad(shape.base, shape.top, shape.rise, lead, hold);
  const report = simulateReactive(pod, load, [config], {
    ...options.simulation,
    slo: options.slo,
    stepAt: lead,
  });
  const summary = report.results[0]?.summary;
  const duration = 2 * lead + shape.rise + hold;
  const allowed = Math.floor(options.budget * duration);
  const over = summary?.sloViolationSeconds ?? Number.POSITIVE_INFINITY;
  return {
    kind: shape.kind,
    times: shape.top / shape.base,
    riseSeconds: shape.rise,
    slopePerMinute:
      shape.rise > 0 ? ((shape.top - shape.base) / shape.rise) * 60 : Number.POSITIVE_INFINITY,
    sloViolationSeconds: over,
    allowedSeconds: allowed,
    held: over <= allowed,
    replicaSeconds: summary?.replicaSeconds ?? 0,
    maxReplicas: summary?.maxReplicas ?? 0,
  };
}

function baseRate(config: ReactiveConfig, sloRps: number, given: number | undefined) {
  if (given !== undefined) return { baseRps: given, baseWhy: 'given (--base-rate)' };
  const min = config.hpa.spec.minReplicas ?? 1;
  return {
    baseRps: (min * sloRps) / 2,
    baseWhy: `half of what minReplicas (${min}) pods serve within the SLO (${min} × ${Number(sloRps.toPrecision(4))} req/s ÷ 2)`,
  };
}

/** The largest step held: up the ladder to the first not held, then a bisection. */
function searchSteps(run: (times: number) => EnvelopeScenario, maxTimes: number) {
  const scenarios: EnvelopeScenario[] = [];
  let held: number | undefined;
  let failed: number | undefined;
  for (const times of [...STEP_LADDER.filter((k) => k < maxTimes), maxTimes]) {
    const scenario = run(times);
    scenarios.push(scenario);
    if (!scenario.held) {
      failed = times;
      break;
    }
    held = times;
  }
  for (let i = 0; i < 3 && failed !== undefined; i++) {
    const times = Number((((held ?? 1) + failed) / 2).toPrecision(3));
    if (times === held || times === failed) break;
    const scenario = run(times);
    scenarios.push(scenario);
    if (scenario.held) held = times;
    else failed = times;
  }
  return { scenarios, held };
}

/**
 * Simulates the steps and ramps of one configuration (see the module comment).
 *
 * @param config - the HPA with its signals, as `simulate --profile` reads it
 * @param pod - the pod model
 * @param options - SLO, budget, base rate, durations and timings
 * @returns the largest step and the fastest ramp held, with every scenario simulated
 * @throws Error when no rate of the profile meets the SLO
 */
export function envelopeOf(
  config: ReactiveConfig,
  pod: PodModel,
  options: EnvelopeOptions,
): Envelope {
  const meeting = rateMeetingSlo(pod, options.slo);
  if (!meeting)
    throw new Error('no measured rate of the profile meets the SLO: there is no envelope');
  const { baseRps, baseWhy } = baseRate(config, meeting.rps, options.baseRps);
  if (!(baseRps > 0)) throw new Error('the base rate must be above 0 req/s');
  const peakRps = config.hpa.spec.maxReplicas * meeting.rps;
  const steps = searchSteps(
    (times) =>
      simulateScenario(config, pod, options, {
        base: baseRps,
        top: times * baseRps,
        rise: 0,
        kind: 'step',
      }),
    Math.max(1.01, Number((peakRps / baseRps).toPrecision(3))),
  );
  const ramps: EnvelopeScenario[] = [];
  let fastest: EnvelopeScenario | undefined;
  if (peakRps > baseRps) {
    for (const rise of RISE_LADDER) {
      const scenario = simulateScenario(config, pod, options, {
        base: baseRps,
        top: peakRps,
        rise,
        kind: 'ramp',
      });
      ramps.push(scenario);
      if (!scenario.held) break;
      fastest = scenario;
    }
  }
  return {
    name: config.name,
    baseRps,
    baseWhy,
    peakRps,
    sloRps: meeting.rps,
    ...(steps.held !== undefined ? { largestStep: steps.held } : {}),
    ...(fastest
      ? { fastestRampPerMinute: fastest.slopePerMinute, fastestRampSeconds: fastest.riseSeconds }
      : {}),
    scenarios: [...steps.scenarios, ...ramps],
  };
}
