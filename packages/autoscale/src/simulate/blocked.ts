/**
 * Finds the syncs where a missing or invalid metric kept an HPA from scaling: upstream, when any
 * metric is invalid the HPA does not scale down, and when every metric is invalid it does not scale
 * at all (`FailedComputeMetricsReplicas`). The guide's HPA is the classic case: its mean inference
 * latency is 0/0 = NaN while a pod is idle, the adapter drops it, and the HPA never scales down.
 */
import type { HpaDecision } from '@mlscale/hpa';

/** A stretch of syncs where scaling was blocked for the same reason. */
export interface BlockedNote {
  /** `down`: valid metrics wanted fewer pods; `any`: no metric was valid, so no scaling either way. */
  direction: 'down' | 'any';
  /** Metrics without a valid value. */
  metrics: string[];
  /** First sync (seconds, the timeline's clock). */
  from: number;
  /** Seconds the block lasted in total (syncs × sync period). */
  seconds: number;
  /** Syncs affected. */
  syncs: number;
  /** The first error, as the HPA reports it. */
  error: string;
}

/**
 * Whether a decision was blocked, and how.
 *
 * @param decision - one sync's decision
 * @param minReplicas - the HPA's minReplicas: at it, there is no scale-down to block
 * @returns the direction and the invalid metrics, or undefined when it was not blocked
 * @example
 * blockedBy(decision, 2); // { direction: 'down', metrics: ['inference_latency_seconds_avg'] }
 */
export function blockedBy(
  decision: HpaDecision,
  minReplicas = 1,
): { direction: 'down' | 'any'; metrics: string[] } | undefined {
  if (decision.reason !== 'FailedComputeMetricsReplicas') return undefined;
  const invalid = decision.metrics.filter((m) => m.error !== undefined).map((m) => m.name);
  if (invalid.length === 0) return undefined;
  const proposals = decision.metrics
    .map((m) => m.proposal)
    .filter((p): p is number => p !== undefined);
  if (proposals.length === 0) return { direction: 'any', metrics: invalid };
  return Math.max(...proposals, minReplicas) < decision.currentReplicas
    ? { direction: 'down', metrics: invalid }
    : undefined;
}

/**
 * Groups the blocked syncs of a timeline by direction and metrics.
 *
 * @param decisions - the decisions in time order
 * @param syncPeriodSeconds - seconds each sync stands for
 * @param minReplicas - the HPA's minReplicas
 * @returns one note per kind of block, in order of first appearance
 * @example
 * blockedNotes(timeline.map((e) => e.decision), 15, 2);
 */
export function blockedNotes(
  decisions: readonly HpaDecision[],
  syncPeriodSeconds: number,
  minReplicas = 1,
): BlockedNote[] {
  const notes = new Map<string, BlockedNote>();
  for (const decision of decisions) {
    const blocked = blockedBy(decision, minReplicas);
    if (!blocked) continue;
    const key = `${blocked.direction}:${blocked.metrics.join(',')}`;
    const note = notes.get(key);
    if (note) {
      note.seconds += syncPeriodSeconds;
      note.syncs += 1;
    } else {
      notes.set(key, {
        ...blocked,
        from: decision.time,
        seconds: syncPeriodSeconds,
        syncs: 1,
        error: decision.error ?? '',
      });
    }
  }
  return [...notes.values()];
}

/**
 * One line for a person: `blocked from scaling down for 450 s: no valid inference_latency_seconds_avg`.
 *
 * @param note - a note
 * @returns the text
 * @example
 * formatBlockedNote(note);
 */
export function formatBlockedNote(note: BlockedNote): string {
  const what = note.direction === 'down' ? 'blocked from scaling down' : 'could not scale at all';
  return `${what} for ${Math.round(note.seconds)} s: no valid ${note.metrics.join(', ')} (missing or NaN: an invalid metric ${note.direction === 'down' ? 'blocks a scale-down' : 'leaves no proposal'})`;
}

/**
 * The stretches of time in which a config was blocked, for shading a chart: consecutive blocked
 * syncs make one stretch, from the first sync to one period after the last.
 *
 * @param decisions - the decisions in time order
 * @param syncPeriodSeconds - the sync period
 * @param minReplicas - the HPA's minReplicas
 * @returns stretches with their direction
 * @example
 * blockedStretches(decisions, 15, 2); // [{ from: 195, to: 600, direction: 'down' }]
 */
export function blockedStretches(
  decisions: readonly HpaDecision[],
  syncPeriodSeconds: number,
  minReplicas = 1,
): { from: number; to: number; direction: 'down' | 'any' }[] {
  const out: { from: number; to: number; direction: 'down' | 'any' }[] = [];
  for (const decision of decisions) {
    const blocked = blockedBy(decision, minReplicas);
    if (!blocked) continue;
    const last = out[out.length - 1];
    if (last && last.direction === blocked.direction && decision.time <= last.to + 1e-9) {
      last.to = decision.time + syncPeriodSeconds;
    } else {
      out.push({
        from: decision.time,
        to: decision.time + syncPeriodSeconds,
        direction: blocked.direction,
      });
    }
  }
  return out;
}

/**
 * Chart bands for a config's blocked stretches, in its color, the first one labelled.
 *
 * @param decisions - the decisions in time order
 * @param options - the sync period, the HPA's minReplicas, the shift subtracted from times (the
 *   chart's x is seconds from the load step) and the config's color
 * @returns bands for `ChartPanel.bands`
 */
export function blockedBands(
  decisions: readonly HpaDecision[],
  options: { syncPeriodSeconds: number; minReplicas: number; shift: number; color: string },
): { from: number; to: number; color: string; label?: string }[] {
  const { syncPeriodSeconds, minReplicas, shift, color } = options;
  return blockedStretches(decisions, syncPeriodSeconds, minReplicas).map((stretch, i) => ({
    from: stretch.from - shift,
    to: stretch.to - shift,
    color,
    ...(i === 0
      ? { label: stretch.direction === 'down' ? 'cannot scale down' : 'cannot scale' }
      : {}),
  }));
}
