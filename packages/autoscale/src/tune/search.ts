/**
 * The search of `mlscale tune`, coarse then fine. A family of the space fixes every number but
 * minReplicas; in each, a bisection finds the least minReplicas that keeps the seconds over the
 * SLO within the budget (more standing pods only cost more from there). Three stages:
 * 1. the coarse grid, reactive: headroom (0, 10, 20, 30 %) × scale-down window × scale-up limit;
 * 2. the headroom 5 % either side of the two best families;
 * 3. each forecast asked for, added to the two best reactive families.
 * The full grid (every headroom at 5 % steps with every forecast) would take several times the
 * simulations. Families are searched side by side, one round of simulations at a time, on every
 * worker. The answer is the configuration with the least replica-seconds within the budget; every
 * configuration simulated is on the table, the references (the guide's, the plan's) included, and
 * the Pareto front (none cheaper with fewer seconds over the SLO) is what is printed.
 */
import type { PodModel } from '../capacity/model.js';
import type { CapacityProfile } from '../capacity/profile.js';
import type { LatencySlo } from '../capacity/slo.js';
import type { ForecastMethod } from '../forecast/signal.js';
import type { LoadTrace } from '../simulate/load.js';
import type { ReactiveOptions } from '../simulate/reactive.js';
import type { ConfigFiles, Evaluation } from './evaluate.js';
import type { SimulationPool } from './pool.js';
import {
  type Candidate,
  type ClusterTimings,
  candidateFiles,
  candidateLabel,
  candidatePlan,
  HEADROOM_STEP,
  HEADROOMS,
  SCALE_UP_PODS,
  stabilizationWindows,
} from './space.js';

/** One configuration simulated. */
export interface Tried {
  /** Absent for the reference configurations (the guide's, the plan's). */
  candidate?: Candidate;
  files: ConfigFiles;
  result: Evaluation;
}

/** What the search found. */
export interface SearchResult {
  /** Every configuration simulated, references included. */
  tried: Tried[];
  /** The cheapest within the budget (undefined: none was). */
  chosen?: Tried;
  /** Seconds over the SLO allowed. */
  allowedSeconds: number;
  simulations: number;
}

/** What the search takes. */
export interface SearchInput {
  profile: CapacityProfile;
  pod: PodModel;
  load: LoadTrace;
  slo: LatencySlo;
  timings: ClusterTimings;
  /** Share of the trace's seconds allowed over the SLO (0.01 for 1 %). */
  budget: number;
  /** Configurations to compare against, simulated the same way. */
  references: ConfigFiles[];
  /** Sentence for the files' comments (window, budget). */
  why: string;
  pool: SimulationPool;
  /** The forecasts searched beside none (default none). */
  forecasts?: readonly ForecastMethod[];
  /** The period of a seasonal forecast (seconds). */
  forecastPeriodSeconds?: number;
  onProgress?: (done: number, total: number, round: number) => void;
}

/** The highest rate of a load (its binned peak). */
export function peakRate(load: LoadTrace): number {
  return Math.max(0, ...load.points.map((p) => p.rps));
}

/**
 * Configurations none of the others beats on both seconds over the SLO and replica-seconds,
 * cheapest first.
 *
 * @param tried - what was simulated
 * @returns the front
 */
export function paretoFront(tried: readonly Tried[]): Tried[] {
  const sorted = [...tried].sort(
    (a, b) =>
      a.result.replicaSeconds - b.result.replicaSeconds ||
      a.result.sloViolationSeconds - b.result.sloViolationSeconds,
  );
  const front: Tried[] = [];
  let best = Number.POSITIVE_INFINITY;
  for (const t of sorted) {
    if (t.result.sloViolationSeconds < best) {
      front.push(t);
      best = t.result.sloViolationSeconds;
    }
  }
  return front;
}

/**
 * A family of the space: every number fixed but minReplicas, which a bisection finds (more
 * standing pods only lower the seconds over the SLO, so the first feasible value is the family's
 * cheapest). `lo` is the least value not known to fail, `hi` the least known to pass (max + 1
 * while none has); `best` the cheapest configuration of the family within the budget, `fewest`
 * the fewest seconds over the SLO it reached.
 */
interface Family {
  headroom: number;
  window: number | undefined;
  scaleUpPods: number | undefined;
  forecast: ForecastMethod | undefined;
  lo: number;
  hi: number;
  max: number;
  best?: Tried;
  fewest: number;
}

type Shape = Pick<Family, 'headroom' | 'window' | 'scaleUpPods' | 'forecast'>;

function shapeKey(f: Shape): string {
  return `${f.headroom.toFixed(3)}|${f.window}|${f.scaleUpPods}|${f.forecast}`;
}

/** What the stages share: the settings, the configurations tried, and one simulation round. */
interface SearchState {
  input: SearchInput;
  peakRps: number;
  allowedSeconds: number;
  tried: Tried[];
  /** Every family searched, by {@link shapeKey}. */
  families: Map<string, Family>;
  run: (files: ConfigFiles[]) => Promise<Evaluation[]>;
}

function candidateOf(f: Family, minReplicas: number): Candidate {
  return {
    headroom: f.headroom,
    minReplicas,
    ...(f.window !== undefined ? { scaleDownStabilizationSeconds: f.window } : {}),
    ...(f.scaleUpPods !== undefined ? { scaleUpPods: f.scaleUpPods } : {}),
    ...(f.forecast !== undefined ? { forecast: f.forecast } : {}),
  };
}

function planOf(state: SearchState, candidate: Candidate) {
  const { pod, slo, timings, why, forecastPeriodSeconds } = state.input;
  return candidatePlan(pod, candidate, {
    slo,
    timings,
    peakRps: state.peakRps,
    why,
    ...(forecastPeriodSeconds !== undefined ? { forecastPeriodSeconds } : {}),
  });
}

/** New families of these shapes, those not searched yet (maxReplicas depends on the headroom). */
function addFamilies(state: SearchState, shapes: readonly Shape[]): Family[] {
  const added: Family[] = [];
  for (const shape of shapes) {
    const key = shapeKey(shape);
    if (state.families.has(key)) continue;
    const max = planOf(state, { headroom: shape.headroom, minReplicas: 1 }).maxReplicas.value;
    const family: Family = { ...shape, lo: 1, hi: max + 1, max, fewest: Number.POSITIVE_INFINITY };
    state.families.set(key, family);
    added.push(family);
  }
  return added;
}

/** Bisects minReplicas in every family side by side, one round of simulations at a time. */
async function bisect(state: SearchState, families: readonly Family[]): Promise<void> {
  const open = (f: Family) => f.lo < f.hi && f.lo <= f.max;
  while (families.some(open)) {
    const batch = families.filter(open).map((family) => {
      const candidate = candidateOf(
        family,
        Math.min(family.max, Math.floor((family.lo + family.hi) / 2)),
      );
      const plan = planOf(state, candidate);
      return { family, candidate, files: candidateFiles(plan, candidateLabel(candidate, plan)) };
    });
    const results = await state.run(batch.map((b) => b.files));
    batch.forEach(({ family, candidate, files }, i) => {
      const result = results[i] as Evaluation;
      const t: Tried = { candidate, files, result };
      state.tried.push(t);
      family.fewest = Math.min(family.fewest, result.sloViolationSeconds);
      if (result.sloViolationSeconds <= state.allowedSeconds) {
        family.hi = candidate.minReplicas;
        if (!family.best || result.replicaSeconds < family.best.result.replicaSeconds)
          family.best = t;
      } else family.lo = candidate.minReplicas + 1;
    });
  }
}

/** The `n` best families: those within the budget by replica-seconds, then by seconds over. */
function bestFamilies(state: SearchState, n: number, filter: (f: Family) => boolean): Family[] {
  const score = (f: Family) =>
    f.best ? f.best.result.replicaSeconds : Number.MAX_SAFE_INTEGER / 2 + f.fewest;
  return [...state.families.values()]
    .filter(filter)
    .sort((a, b) => score(a) - score(b))
    .slice(0, n);
}

/** Families refined and given a forecast after the coarse search. */
const REFINED = 2;

/**
 * Runs the search (see the module comment): the coarse grid, then the headroom refined around the
 * best two families, then the forecasts added to the best two reactive ones.
 *
 * @param input - profile, load, SLO, timings, budget, references and the pool
 * @returns every configuration tried and the chosen one
 */
export async function searchConfigurations(input: SearchInput): Promise<SearchResult> {
  const { load, slo, timings } = input;
  const start = load.points[0]?.time ?? 0;
  const end = load.points[load.points.length - 1]?.time ?? 0;
  const options: Omit<ReactiveOptions, 'controller'> = {
    slo,
    startupDelaySeconds: timings.startupSeconds,
    syncPeriodSeconds: timings.syncPeriodSeconds,
    scrapeIntervalSeconds: timings.scrapeIntervalSeconds,
  };
  let simulations = 0;
  let round = 0;
  const run = async (files: ConfigFiles[]) => {
    round++;
    const jobs = files.map((config) => ({ profile: input.profile, load, options, config }));
    const results = await input.pool.run(jobs, (done, total) =>
      input.onProgress?.(simulations + done, simulations + total, round),
    );
    simulations += files.length;
    return results;
  };
  const referenceResults = await run(input.references);
  const state: SearchState = {
    input,
    peakRps: peakRate(load) * 1.25,
    allowedSeconds: Math.floor(input.budget * (end - start)),
    tried: input.references.map((files, i) => ({
      files,
      result: referenceResults[i] as Evaluation,
    })),
    families: new Map(),
    run,
  };
  await bisect(state, addFamilies(state, coarseShapes(timings)));
  await bisect(state, addFamilies(state, finerShapes(bestFamilies(state, REFINED, () => true))));
  const reactive = bestFamilies(state, REFINED, (f) => f.forecast === undefined);
  const withForecast = (input.forecasts ?? []).flatMap((forecast) =>
    reactive.map((f) => ({ ...shapeOf(f), forecast })),
  );
  await bisect(state, addFamilies(state, withForecast));
  const within = state.tried.filter(
    (t) => t.candidate && t.result.sloViolationSeconds <= state.allowedSeconds,
  );
  within.sort(
    (a, b) =>
      a.result.replicaSeconds - b.result.replicaSeconds ||
      a.result.sloViolationSeconds - b.result.sloViolationSeconds,
  );
  return {
    tried: state.tried,
    ...(within[0] ? { chosen: within[0] } : {}),
    allowedSeconds: state.allowedSeconds,
    simulations,
  };
}

function shapeOf(f: Family): Shape {
  return {
    headroom: f.headroom,
    window: f.window,
    scaleUpPods: f.scaleUpPods,
    forecast: f.forecast,
  };
}

/** The coarse grid: every headroom, scale-down window and scale-up limit, reactive. */
export function coarseShapes(timings: ClusterTimings): Shape[] {
  return HEADROOMS.flatMap((headroom) =>
    stabilizationWindows(timings).flatMap((window) =>
      SCALE_UP_PODS.map((scaleUpPods) => ({ headroom, window, scaleUpPods, forecast: undefined })),
    ),
  );
}

/** A headroom step either side of each family, the rest the same. */
function finerShapes(families: readonly Family[]): Shape[] {
  return families.flatMap((f) =>
    [f.headroom - HEADROOM_STEP, f.headroom + HEADROOM_STEP]
      .filter((h) => h >= 0 && h < 0.9)
      .map((h) => ({ ...shapeOf(f), headroom: Math.round(h * 1000) / 1000 })),
  );
}
