import { SERIES, WAIT_BUCKETS } from '@mlscale/metric-contract';
import {
  checkConstLabels,
  getOrCreateMetric,
  type HistogramSeries,
  registerSeriesMetric,
  SeriesHistogram,
} from '@mlscale/metrics';
import { Counter, Gauge, type Registry, type RegistryContentType } from 'prom-client';

/**
 * Buckets of `request_queue_wait_seconds`: 1 ms … 10 s, finer at the low end than latency buckets
 * because an unloaded server's wait is well under the 10 ms where the guide's latency buckets start
 * (the metric contract's `WAIT_BUCKETS`, from `@mlscale/metric-contract`).
 */
export const DEFAULT_WAIT_BUCKETS = WAIT_BUCKETS;

/** Why a request was refused; the `reason` label of `requests_rejected_total`. */
export type RejectReason = 'queue_full' | 'wait_timeout';

/** What one {@link RequestQueue} records to; shared by every queue with the same labels on one registry. */
export interface QueueRecorder {
  /** Adds `delta` to the depth, after adding the time integral of the old depth. */
  changeDepth(delta: number): void;
  observeWait(seconds: number): void;
  reject(reason: RejectReason | (string & {})): void;
}

const metricNames = {
  depth: SERIES.queueDepth.name,
  depthSeconds: SERIES.queueDepthSeconds.name,
  wait: SERIES.queueWait.name,
  rejected: SERIES.rejected.name,
} as const;

/**
 * The depth of one label set and its time integral. The integral is brought up to date at every
 * change of the depth and at every scrape, so `rate(request_queue_depth_seconds_total[w])` is the
 * exact mean depth over any window `w`, with nothing lost between scrapes. Both are plain numbers
 * on the request path and reach prom-client in `collect()`, at scrape time.
 */
class DepthIntegral {
  depth = 0;
  seconds = 0;
  private since = performance.now();

  constructor(readonly labels: Readonly<Record<string, string>>) {}

  accrue(): void {
    const now = performance.now();
    if (this.depth > 0) this.seconds += (this.depth * (now - this.since)) / 1000;
    this.since = now;
  }

  change(delta: number): void {
    this.accrue();
    this.depth += delta;
  }
}

// Per depth gauge, the integrals of its label sets, so that a second queue set up on the same
// registry shares them and the metrics' collect() reads all of them.
const integralsByGauge = new WeakMap<object, Map<string, DepthIntegral>>();

/**
 * Gets or creates the queue metrics on `registry` and returns a recorder for one label set.
 *
 * @param registry - where the metrics live
 * @param constLabels - labels fixed for the process; default none
 * @param waitBuckets - default {@link DEFAULT_WAIT_BUCKETS}
 */
export function queueRecorder(
  registry: Registry<RegistryContentType>,
  constLabels: Readonly<Record<string, string>> | undefined,
  waitBuckets: readonly number[] = DEFAULT_WAIT_BUCKETS,
): QueueRecorder {
  const labelNames = checkConstLabels(constLabels, ['reason']);
  const labels = { ...constLabels };
  const gauge = getOrCreateMetric(registry, 'gauge', metricNames.depth, labelNames, () => {
    const integrals = new Map<string, DepthIntegral>();
    const created = new Gauge({
      name: metricNames.depth,
      help: SERIES.queueDepth.help,
      labelNames,
      registers: [registry],
      collect() {
        for (const integral of integrals.values()) created.set(integral.labels, integral.depth);
      },
    });
    getOrCreateMetric(registry, 'counter', metricNames.depthSeconds, labelNames, () => {
      const counter: Counter<string> = new Counter({
        name: metricNames.depthSeconds,
        help: SERIES.queueDepthSeconds.help,
        labelNames,
        registers: [registry],
        collect() {
          counter.reset();
          for (const integral of integrals.values()) {
            integral.accrue();
            counter.inc(integral.labels, integral.seconds);
          }
        },
      });
      return counter;
    });
    integralsByGauge.set(created, integrals);
    return created;
  });
  const wait = registerSeriesMetric(
    registry,
    new SeriesHistogram(metricNames.wait, SERIES.queueWait.help, labelNames, waitBuckets),
    SeriesHistogram.is,
  );
  const rejected = getOrCreateMetric(
    registry,
    'counter',
    metricNames.rejected,
    [...labelNames, 'reason'],
    () =>
      new Counter({
        name: metricNames.rejected,
        help: SERIES.rejected.help,
        labelNames: [...labelNames, 'reason'],
        registers: [registry],
      }),
  );

  const integrals = integralsByGauge.get(gauge);
  if (integrals === undefined) {
    throw new Error(
      `${metricNames.depth} on this registry was not created by @mlscale/queue-gauge`,
    );
  }
  const key = JSON.stringify(labels);
  let integral = integrals.get(key);
  if (integral === undefined) {
    integral = new DepthIntegral(labels);
    integrals.set(key, integral);
  }
  const depth = integral;
  const waitSeries: HistogramSeries = wait.series(labels);
  return {
    changeDepth: (delta) => depth.change(delta),
    observeWait: (seconds) => waitSeries.observe(seconds),
    reject: (reason) => rejected.inc({ ...labels, reason }),
  };
}
