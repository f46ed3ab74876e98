/**
 * The capacity profile: what `mlscale calibrate` measures on one pod and what `mlscale plan` and
 * `mlscale simulate --profile` read. Times are seconds, rates requests per second.
 *
 * This file is the contract between the three commands. Add optional fields freely; renaming or
 * removing one, or changing a unit, is a new `schema` version.
 */

/** The `schema` value of this version of the profile. */
export const CAPACITY_PROFILE_SCHEMA = 'mlscale.dev/capacity-profile/v1';

/** Latency percentiles of one step, in seconds, measured by the client from each request's intended send time. */
export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  max: number;
}

/** Why a calibration ramp ended: past saturation as planned, or cut short. */
export type RampEnd = 'saturation' | 'interrupted' | 'max-rps' | 'max-steps';

/** One step of the open-loop ramp: a fixed arrival rate held for `durationSeconds`. */
export interface CapacityStep {
  /** Requests per second the generator meant to send. */
  offeredRps: number;
  /** Requests per second answered with 2xx. */
  achievedRps: number;
  /** Seconds the step was measured (after its warm-up). */
  durationSeconds: number;
  /** Requests sent in the measured window. */
  sent: number;
  /** Answers 2xx. */
  ok: number;
  /** Answers 503/429 (load shed by the server). */
  rejected: number;
  /** Other failures: other statuses, connection errors, client time-outs. */
  errors: number;
  /** Latency of the 2xx answers. */
  latency: LatencySummary;
  /**
   * From the pod's /metrics over the window (null when the pod does not export it):
   * mean `request_queue_depth` from the `request_queue_depth_seconds_total` integral,
   * mean `request_queue_wait_seconds`, mean `inference_batch_size`, mean `inference_latency_seconds`.
   */
  server: {
    meanQueueDepth: number | null;
    meanWaitSeconds: number | null;
    meanBatchSize: number | null;
    meanInferenceSeconds: number | null;
  };
  /** True when the step is past saturation (achieved well below offered, or latency growing without bound). */
  saturated: boolean;
  /**
   * Why the step was called saturated, for people (optional; written by `mlscale calibrate`):
   * a step can be saturated while its latency still meets an SLO (a queue growing at its end).
   */
  saturatedBecause?: string;
  /**
   * The 99th percentile of how late the generator sent requests against their intended times
   * (optional; written by `mlscale calibrate`). Above a few ms the client, not the pod, was the limit.
   */
  sendLagP99Seconds?: number;
}

/** A capacity profile of one pod. */
export interface CapacityProfile {
  schema: typeof CAPACITY_PROFILE_SCHEMA;
  /** ISO 8601 time the calibration finished. */
  measuredAt: string;
  /** What was measured. */
  target: {
    url: string;
    /** Bytes of the request body, and its SHA-256 (hex), so two profiles can be compared. */
    bodyBytes: number;
    bodySha256: string;
    /** From the pod's /metrics where it says so (model name, version, emulated device settings), else null. */
    model: string | null;
    emulatedDevice: { batchMs: number; rowMs: number } | null;
  };
  /** How the ramp was run. */
  ramp: {
    startRps: number;
    stepRps: number;
    stepSeconds: number;
    warmupSeconds: number;
    timeoutSeconds: number;
    /** Steps added between the last unsaturated and the first saturated step (optional). */
    refineSteps?: number;
    /**
     * Why the ramp ended (optional; written by `mlscale calibrate`): `saturation` when it went past
     * the pod's capacity as planned; `interrupted` (Ctrl-C), `max-rps` or `max-steps` when it was
     * cut short. A profile without a saturated step measured a lower bound of the capacity only.
     */
    endedBy?: RampEnd;
  };
  /** Steps in increasing `offeredRps`. */
  steps: CapacityStep[];
  /** Highest achieved rate over the unsaturated steps: what one pod sustains. */
  maxSustainableRps: number;
  /** The rate at which the pod saturated (the first saturated step's offered rate), null if the ramp never saturated it. */
  saturationRps: number | null;
  /**
   * Highest achieved rate of any step, saturated ones included (optional; written by
   * `mlscale calibrate`). Past saturation the queue never empties, so this is what the pod
   * completes flat out: its service capacity, a little above `maxSustainableRps`.
   */
  peakAchievedRps?: number;
  /**
   * Optional: how the pod sheds load, when it does (the queue-gauge's `concurrency` and
   * `maxWaiting`): once `maxWaiting` requests wait behind `concurrency` in flight, new ones get 503.
   * `null` says the pod never sheds. When absent, readers infer it from the steps (503s seen).
   */
  shedding?: { concurrency: number; maxWaiting: number } | null;
}
