import type { NvmlSample } from './nvml.js';

// NVML's utilization sample period is "between 1 second and 1/6 second, depending on the product"
// (nvml.h, nvmlUtilization_t). A longer gap between two samples means samples were missed.
const MAX_SAMPLE_PERIOD_US = 1_000_000;

/**
 * Integrates GPU busy time for one device, from the driver's sample buffer where it has one and
 * from the current utilization times the time since the last read otherwise.
 */
export class BusyTimeIntegrator {
  #lastSampleUs: number | null = null;
  #lastReadMs: number | null = null;

  /**
   * Adds the busy seconds since the previous call from the driver's samples newer than
   * {@link lastSampleUs}. The first call only sets the baseline (the buffer's history before the
   * probe started is not counted). A gap longer than one sample period (the buffer overflowed
   * between two reads) is filled with the mean of the samples that were returned.
   *
   * @returns busy seconds to add
   */
  fromSamples(samples: readonly NvmlSample[], nowMs: number): number {
    this.#lastReadMs = nowMs;
    const last = samples.at(-1);
    if (this.#lastSampleUs === null) {
      if (last) this.#lastSampleUs = last.timestampUs;
      return 0;
    }
    if (!last) return 0;
    let mean = 0;
    for (const s of samples) mean += s.value;
    mean /= samples.length;
    let previous = this.#lastSampleUs;
    let busyUs = 0;
    for (const s of samples) {
      const dt = s.timestampUs - previous;
      if (dt <= 0) continue;
      const period = Math.min(dt, MAX_SAMPLE_PERIOD_US);
      busyUs += (period * s.value + (dt - period) * mean) / 100;
      previous = s.timestampUs;
    }
    this.#lastSampleUs = previous;
    return busyUs / 1e6;
  }

  /**
   * Adds `utilizationPercent` × the time since the previous read, for devices with no sample
   * buffer. The first call only sets the baseline.
   *
   * @returns busy seconds to add
   */
  fromUtilization(utilizationPercent: number, nowMs: number): number {
    const previous = this.#lastReadMs;
    this.#lastReadMs = nowMs;
    if (previous === null || nowMs <= previous) return 0;
    return ((nowMs - previous) / 1000) * (utilizationPercent / 100);
  }

  /** The position in the driver's sample buffer (µs timestamp of the last sample counted). */
  get lastSampleUs(): number {
    return this.#lastSampleUs ?? 0;
  }

  /** Starts again from a new baseline, so that a stretch of failed reads is counted neither busy nor idle. */
  interrupt(): void {
    this.#lastReadMs = null;
    this.#lastSampleUs = null;
  }
}
