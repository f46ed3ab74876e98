/**
 * The closed loop on real traffic (issue 19, item 6): a window of a request-level production trace,
 * binned into rates exactly as `mlscale simulate --load` bins it (autoscale's `readLoad`), becomes
 * the rate trace the closed loop plays (`runClosedLoop`'s `load`, each bin's rate held for the bin
 * and sent evenly spaced, as the simulator's fluid model offers it) and the `time,rps` file its
 * simulation twin reads, so both see the same load. The agreement is judged on thirds of the window
 * (a trace has no "before, held, after" of a step).
 */
import { readLoad } from '@mlscale/autoscale';
import type { Phase } from './compare.js';
import type { RateTrace } from './run.js';

/**
 * The Azure LLM inference trace 2023, "conversation" service (one hour, one row per request;
 * CC-BY 4.0 by Microsoft, see packages/autoscale/data/traces/README.md), from the repository root.
 */
export const CONVERSATION_TRACE =
  'packages/autoscale/data/traces/azure-llm-inference-2023-conv.csv.gz';

/** Which part of a request-level trace is played, and how. */
export interface TraceWindow {
  /** Seconds after the trace's first request where the window begins. */
  fromSeconds: number;
  /** Seconds after the trace's first request where it ends. */
  toSeconds: number;
  /** Multiplies every rate. */
  rateScale: number;
  /** Seconds per bin: each bin's requests ÷ its length is its rate. */
  binSeconds: number;
}

/**
 * Minutes 20 to 30 of the conversation trace at ×20 (the scale of issue 19's figures on the hour),
 * in 10 s bins: the climb from about 115 req/s to the 160 req/s plateau with bursts to 176, on pods
 * of 25 req/s from 5 to 8 of them (see tools/e2e/README.md, "The closed loop on real traffic").
 */
export const CONVERSATION_WINDOW: TraceWindow = {
  fromSeconds: 1200,
  toSeconds: 1800,
  rateScale: 20,
  binSeconds: 10,
};

/** A window of a trace as the loop plays it, and how it was read. */
export interface WindowLoad {
  /** Rates from 0 (the window's start); the last point marks its end. */
  load: RateTrace;
  /** `readLoad`'s line: format, binning, window, scale. */
  description: string;
  /** Requests of the trace in the window (before the rate scale). */
  requests: number;
}

/**
 * Reads a window of a request-level trace into the closed loop's rate trace.
 *
 * @param text - the trace's text (gunzipped)
 * @param window - where, the rate scale and the binning
 * @returns the rates from 0 to the window's length, and how they were read
 * @throws Error when the text is not a request-level trace (a `time,rps` rate trace is refused:
 *   this plays production requests), or the window holds no bin
 * @example
 * traceWindowLoad(text, CONVERSATION_WINDOW).load.points.length; // 61: 60 bins and the end
 */
export function traceWindowLoad(text: string, window: TraceWindow): WindowLoad {
  const read = readLoad(text, {
    binSeconds: window.binSeconds,
    rateScale: window.rateScale,
    from: window.fromSeconds,
    to: window.toSeconds,
  });
  if (read.requests === undefined) {
    throw new Error(`expected a request-level trace (one row per request), read a ${read.format}`);
  }
  const points = read.load.points.map((p) => ({ time: p.time, rps: p.rps }));
  const end = points[points.length - 1]?.time ?? 0;
  if (points.length < 2 || !(end > 0)) {
    throw new Error(
      `the window ${window.fromSeconds} s to ${window.toSeconds} s holds no ${window.binSeconds} s bin of the trace`,
    );
  }
  return { load: { points }, description: read.description, requests: read.requests };
}

/**
 * The window cut in `parts` equal phases, the agreement's per-phase figures (compare.ts's phases
 * are a step's before, held and after; a trace window has none of those, so its thirds).
 *
 * @param load - the window's rate trace (from its first point to its last)
 * @param parts - how many phases @default 3
 * @returns the phases in time order, named by their seconds
 * @example
 * windowPhases({ points: [{ time: 0, rps: 1 }, { time: 600, rps: 1 }] })[1]; // { name: 'from 200 s to 400 s', from: 200, to: 400 }
 */
export function windowPhases(load: RateTrace, parts = 3): Phase[] {
  const start = load.points[0]?.time ?? 0;
  const end = load.points[load.points.length - 1]?.time ?? start;
  if (!(Number.isInteger(parts) && parts >= 1)) throw new Error(`parts: ${parts} is not ≥ 1`);
  const edge = (i: number) => Math.round(start + ((end - start) * i) / parts);
  return Array.from({ length: parts }, (_, i) => ({
    name: `from ${edge(i)} s to ${edge(i + 1)} s`,
    from: edge(i),
    to: edge(i + 1),
  }));
}

/**
 * The replicas a run held just before a time: what a config has when a window cut from the middle
 * of a trace begins, read from a simulation of the trace up to it.
 *
 * @param seconds - a run's seconds (`simulate --json`'s `seconds`)
 * @param time - the window's start on the run's time axis
 * @returns the replicas of the last second before `time`, or undefined when none is before it
 * @example
 * replicasBefore([{ time: 0, replicas: 2 }, { time: 1, replicas: 3 }], 2); // 3
 */
export function replicasBefore(
  seconds: readonly { time: number; replicas: number }[],
  time: number,
): number | undefined {
  let last: number | undefined;
  for (const s of seconds) {
    if (s.time >= time) break;
    last = s.replicas;
  }
  return last;
}

/**
 * The highest rate of a window and the pods it needs at a per-pod rate: the window must stay within
 * what the closed loop on this machine can serve.
 *
 * @param load - the window's rate trace (the last point, its end, is not played)
 * @param podRps - what one pod serves within the SLO
 * @returns the peak rate and ⌈peak ÷ podRps⌉
 */
export function peakPods(load: RateTrace, podRps: number): { peakRps: number; pods: number } {
  const played = load.points.slice(0, -1);
  const peakRps = Math.max(0, ...played.map((p) => p.rps));
  return { peakRps, pods: Math.ceil(peakRps / podRps) };
}
