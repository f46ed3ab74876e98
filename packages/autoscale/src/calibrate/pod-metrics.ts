/** What a pod's own /metrics says about a measured window: counters read before and after it. */
import { SERIES } from '@mlscale/metric-contract';
import type { CapacityProfile, CapacityStep } from '../capacity/profile.js';
import { parseExposition } from '../chain/exposition.js';

/** The counters calibrate reads, summed over their series, at one scrape. */
export interface PodCounters {
  /** Seconds since an arbitrary origin (the caller's clock) when the scrape was answered. */
  atSeconds: number;
  /** Sums per sample name (`request_queue_depth_seconds_total`, `inference_batch_size_sum`, ...). */
  values: ReadonlyMap<string, number>;
  /** The emulated device the pod reports (`emulated_device_info`), or null. */
  emulatedDevice: CapacityProfile['target']['emulatedDevice'];
  /** A `model` or `model_name` label seen on the inference metrics, or null. */
  model: string | null;
}

const { queueDepthSeconds, queueWait, batchSize, inferenceLatency } = SERIES;
const COUNTERS = [
  queueDepthSeconds.name,
  `${queueWait.name}_sum`,
  `${queueWait.name}_count`,
  `${batchSize.name}_sum`,
  `${batchSize.name}_count`,
  `${inferenceLatency.name}_sum`,
  `${inferenceLatency.name}_count`,
] as const;

/**
 * Reads the counters calibrate needs from a /metrics body.
 *
 * @param text - the exposition
 * @param atSeconds - when it was read
 * @example
 * const before = readPodCounters(await (await fetch(url)).text(), performance.now() / 1000);
 */
export function readPodCounters(text: string, atSeconds: number): PodCounters {
  const exposition = parseExposition(text);
  const values = new Map<string, number>();
  let emulatedDevice: PodCounters['emulatedDevice'] = null;
  let model: string | null = null;
  for (const sample of exposition.samples) {
    if ((COUNTERS as readonly string[]).includes(sample.name) && Number.isFinite(sample.value)) {
      values.set(sample.name, (values.get(sample.name) ?? 0) + sample.value);
    }
    if (sample.name === SERIES.emulatedDevice.name && sample.value === 1) {
      const batchMs = Number(sample.labels.batch_ms);
      const rowMs = Number(sample.labels.row_ms ?? 0);
      if (Number.isFinite(batchMs) && Number.isFinite(rowMs)) emulatedDevice = { batchMs, rowMs };
    }
    if (model === null && sample.name.startsWith(inferenceLatency.name)) {
      model = sample.labels.model ?? sample.labels.model_name ?? null;
    }
  }
  return { atSeconds, values, emulatedDevice, model };
}

/**
 * The server's view of the window between two scrapes: mean queue depth from the
 * `request_queue_depth_seconds_total` integral (exact, no sampling), mean wait, mean batch and
 * mean model time from the histograms' sums and counts. A figure is null when the pod does not
 * export its metric, or nothing was observed in the window.
 */
export function serverView(before: PodCounters, after: PodCounters): CapacityStep['server'] {
  const delta = (name: (typeof COUNTERS)[number]) => {
    const a = before.values.get(name);
    const b = after.values.get(name);
    return a === undefined || b === undefined ? null : b - a;
  };
  const ratio = (sum: (typeof COUNTERS)[number], count: (typeof COUNTERS)[number]) => {
    const s = delta(sum);
    const c = delta(count);
    return s === null || c === null || c <= 0 ? null : s / c;
  };
  const depthSeconds = delta(queueDepthSeconds.name);
  const seconds = after.atSeconds - before.atSeconds;
  return {
    meanQueueDepth: depthSeconds === null || !(seconds > 0) ? null : depthSeconds / seconds,
    meanWaitSeconds: ratio(`${queueWait.name}_sum`, `${queueWait.name}_count`),
    meanBatchSize: ratio(`${batchSize.name}_sum`, `${batchSize.name}_count`),
    meanInferenceSeconds: ratio(`${inferenceLatency.name}_sum`, `${inferenceLatency.name}_count`),
  };
}
