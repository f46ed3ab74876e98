import { checkConstLabels, getOrCreateMetric } from '@mlscale/metrics';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * Buckets of `request_queue_wait_seconds`: 1 ms … 10 s, finer at the low end than latency buckets
 * because an unloaded server's wait is well under the 10 ms where the guide's latency buckets start.
 */
export const DEFAULT_WAIT_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

/** Why a request was refused; the `reason` label of `requests_rejected_total`. */
export type RejectReason = 'queue_full' | 'wait_timeout';

/** What one {@link RequestQueue} records to; shared by every queue with the same labels on one registry. */
export interface QueueRecorder {
  /** Adds `delta` to the depth, after adding the time integral of the old depth. */
  changeDepth(delta: number): void;
  observeWait(seconds: number): void;
  reject(reason: RejectReason): void;
}

const metricNames = {
  depth: 'request_queue_depth',
  depthSeconds: 'request_queue_depth_seconds_total',
  wait: 'request_queue_wait_seconds',
  rejected: 'requests_rejected_total',
} as const;

/**
 * The depth and its time integral for one label set. The integral is brought up to date at every
 * change of the depth and at every scrape, so `rate(request_queue_depth_seconds_total[w])` is the
 * exact mean depth over any window `w`, with nothing lost between scrapes.
 */
class DepthIntegral {
  depth = 0;
  private since = performance.now();

  constructor(
    private readonly gauge: Gauge.Internal<string>,
    private readonly seconds: Counter.Internal,
  ) {}

  accrue(): void {
    const now = performance.now();
    if (this.depth > 0 && now > this.since)
      this.seconds.inc((this.depth * (now - this.since)) / 1000);
    this.since = now;
  }

  change(delta: number): void {
    this.accrue();
    this.depth += delta;
    this.gauge.set(this.depth);
  }
}

// Per depth-seconds counter, the integrals of its label sets, so that a second queue set up on the
// same registry shares them and the counter's collect() brings all of them up to date.
const integralsByCounter = new WeakMap<object, Map<string, DepthIntegral>>();

/**
 * Gets or creates the queue metrics on `registry` and returns a recorder for one label set.
 *
 * @param registry - where the metrics live
 * @param constLabels - labels fixed for the process; default none
 * @param waitBuckets - default {@link DEFAULT_WAIT_BUCKETS}
 */
export function queueRecorder(
  registry: Registry,
  constLabels: Readonly<Record<string, string>> | undefined,
  waitBuckets: readonly number[] = DEFAULT_WAIT_BUCKETS,
): QueueRecorder {
  const labelNames = checkConstLabels(constLabels, ['reason']);
  const labels = { ...constLabels };
  const gauge = getOrCreateMetric(
    registry,
    'gauge',
    metricNames.depth,
    labelNames,
    () =>
      new Gauge({
        name: metricNames.depth,
        help: 'Requests currently waiting or in flight',
        labelNames,
        registers: [registry],
      }),
  );
  const counter = getOrCreateMetric(
    registry,
    'counter',
    metricNames.depthSeconds,
    labelNames,
    () => {
      const integrals = new Map<string, DepthIntegral>();
      const created = new Counter({
        name: metricNames.depthSeconds,
        help: 'Time integral of request_queue_depth in request-seconds; rate() is the mean depth',
        labelNames,
        registers: [registry],
        collect() {
          for (const integral of integrals.values()) integral.accrue();
        },
      });
      integralsByCounter.set(created, integrals);
      return created;
    },
  );
  const wait = getOrCreateMetric(
    registry,
    'histogram',
    metricNames.wait,
    labelNames,
    () =>
      new Histogram({
        name: metricNames.wait,
        help: 'Time from a request arriving until work on it starts, in seconds',
        labelNames,
        buckets: [...waitBuckets],
        registers: [registry],
      }),
  );
  const rejected = getOrCreateMetric(
    registry,
    'counter',
    metricNames.rejected,
    [...labelNames, 'reason'],
    () =>
      new Counter({
        name: metricNames.rejected,
        help: 'Requests refused without being served, by reason',
        labelNames: [...labelNames, 'reason'],
        registers: [registry],
      }),
  );

  const integrals = integralsByCounter.get(counter);
  if (integrals === undefined) {
    throw new Error(
      `${metricNames.depthSeconds} on this registry was not created by @mlscale/queue-gauge`,
    );
  }
  const key = JSON.stringify(labels);
  let integral = integrals.get(key);
  if (integral === undefined) {
    const gaugeChild = gauge.labels(labels);
    gaugeChild.set(0);
    integral = new DepthIntegral(gaugeChild, counter.labels(labels));
    counter.labels(labels).inc(0);
    integrals.set(key, integral);
  }
  const depth = integral;
  const waitChild = wait.labels(labels);
  return {
    changeDepth: (delta) => depth.change(delta),
    observeWait: (seconds) => waitChild.observe(seconds),
    reject: (reason) => rejected.labels({ ...labels, reason }).inc(),
  };
}
