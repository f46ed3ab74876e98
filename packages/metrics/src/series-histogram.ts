import type { Registry, RegistryContentType } from 'prom-client';

// Marks metrics made here, across copies of this package (ESM and CJS builds loaded side by side).
const brand = Symbol.for('@mlscale/metrics.SeriesHistogram');

/** One label set of a {@link SeriesHistogram}: observing is a few additions, no label hashing. */
export interface HistogramSeries {
  /**
   * Records one value. The caller passes finite, non-negative numbers, and an exemplar only when
   * it is valid (see `isExemplar`): it becomes the latest exemplar of the bucket the value falls in.
   */
  observe(value: number, exemplar?: Readonly<Record<string, string>>): void;
}

/** An OpenMetrics exemplar as prom-client's registry renders it. */
interface Exemplar {
  labelSet: Readonly<Record<string, string>>;
  value: number;
  /** Seconds since the epoch. */
  timestamp: number;
}

class Series implements HistogramSeries {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  /** The latest exemplar of each bucket (the last one is +Inf), made on the first exemplar. */
  exemplars: Array<Exemplar | undefined> | undefined;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly upperBounds: readonly number[],
  ) {
    this.counts = new Float64Array(upperBounds.length);
  }

  observe(value: number, exemplar?: Readonly<Record<string, string>>): void {
    this.sum += value;
    this.count += 1;
    const bounds = this.upperBounds;
    let i = 0;
    for (; i < bounds.length; i++) {
      if (value <= (bounds[i] as number)) {
        (this.counts[i] as number) += 1;
        break;
      }
    }
    if (exemplar !== undefined) {
      this.exemplars ??= new Array(bounds.length + 1);
      this.exemplars[i] = { labelSet: exemplar, value, timestamp: Date.now() / 1000 };
    }
  }
}

interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
  exemplar?: Exemplar;
}

/** What prom-client's `Registry` reads from a metric: `get()` of its Counter and Histogram. */
interface MetricSnapshot {
  name: string;
  help: string;
  type: string;
  aggregator: string;
  values: Sample[];
}

/**
 * A histogram with labels whose series are looked up once by the caller and then observed
 * directly. prom-client's labelled `observe()` hashes and validates the label set on every call
 * (about 0.4 µs here), which is more than the rest of a request's metrics together; this one
 * costs a few nanoseconds, for hot paths such as per-request HTTP metrics. It registers on a
 * prom-client `Registry` through the same contract as prom-client's own metrics (`get()`), so it is
 * served, merged and reset like them, and `countsAsCounter()` derives a counter of its counts.
 */
export class SeriesHistogram {
  readonly [brand] = true;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly labelNames: readonly string[];
  readonly upperBounds: readonly number[];
  private readonly seriesByKey = new Map<string, Series>();

  /**
   * @param name - the metric name
   * @param help - the help text
   * @param labelNames - the label names of every series
   * @param buckets - upper bounds in seconds (or the unit of the values), distinct and finite
   */
  constructor(
    /** The metric name. */
    public name: string,
    /** The help text. */
    readonly help: string,
    labelNames: readonly string[],
    buckets: readonly number[],
  ) {
    const sorted = [...buckets].sort((a, b) => a - b);
    if (sorted.length === 0 || sorted.some((b, i) => !Number.isFinite(b) || b === sorted[i - 1])) {
      throw new Error(
        `${name}: buckets must be distinct finite numbers, got [${buckets.join(', ')}]`,
      );
    }
    this.labelNames = [...labelNames];
    this.upperBounds = sorted;
  }

  /** Whether `metric` is a SeriesHistogram (from any copy of this package). */
  static is(metric: unknown): metric is SeriesHistogram {
    return typeof metric === 'object' && metric !== null && brand in metric;
  }

  /** The series of one label set, created on first use. Keep it: looking it up is the slow part. */
  series(labels: Readonly<Record<string, string>>): HistogramSeries {
    const key = this.labelNames.map((name) => labels[name]).join('\u0000');
    let series = this.seriesByKey.get(key);
    if (series === undefined) {
      series = new Series({ ...labels }, this.upperBounds);
      this.seriesByKey.set(key, series);
    }
    return series;
  }

  /** prom-client's metric contract: the samples, as `Histogram.get()` gives them. */
  async get(): Promise<MetricSnapshot> {
    const values: Sample[] = [];
    for (const series of this.seriesByKey.values()) {
      let cumulative = 0;
      const exemplars = series.exemplars;
      this.upperBounds.forEach((le, i) => {
        cumulative += series.counts[i] as number;
        const sample: Sample = {
          labels: { le, ...series.labels },
          value: cumulative,
          metricName: `${this.name}_bucket`,
        };
        const exemplar = exemplars?.[i];
        if (exemplar) sample.exemplar = exemplar;
        values.push(sample);
      });
      const infExemplar = exemplars?.[this.upperBounds.length];
      values.push(
        {
          labels: { le: '+Inf', ...series.labels },
          value: series.count,
          metricName: `${this.name}_bucket`,
          ...(infExemplar ? { exemplar: infExemplar } : {}),
        },
        { labels: { ...series.labels }, value: series.sum, metricName: `${this.name}_sum` },
        { labels: { ...series.labels }, value: series.count, metricName: `${this.name}_count` },
      );
    }
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    };
  }

  /** prom-client's metric contract: zero every series (`registry.resetMetrics()`). */
  reset(): void {
    for (const series of this.seriesByKey.values()) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
      series.exemplars = undefined;
    }
  }

  /**
   * A counter, named `name`, of the observations of each series: a request counter that costs
   * nothing on the hot path. Register it on the same registry.
   */
  countsAsCounter(name: string, help: string): CountsCounter {
    return new CountsCounter(name, help, this);
  }

  /** @internal */
  counts(): IterableIterator<Series> {
    return this.seriesByKey.values();
  }
}

const countsBrand = Symbol.for('@mlscale/metrics.CountsCounter');

/** A counter read off a {@link SeriesHistogram}'s counts at scrape time. */
export class CountsCounter {
  readonly [countsBrand] = true;
  readonly type = 'counter';
  readonly aggregator = 'sum';
  readonly labelNames: readonly string[];

  constructor(
    /** The metric name. */
    public name: string,
    /** The help text. */
    readonly help: string,
    private readonly source: SeriesHistogram,
  ) {
    this.labelNames = source.labelNames;
  }

  /** Whether `metric` is a CountsCounter (from any copy of this package). */
  static is(metric: unknown): metric is CountsCounter {
    return typeof metric === 'object' && metric !== null && countsBrand in metric;
  }

  /** prom-client's metric contract: the samples, as `Counter.get()` gives them. */
  async get(): Promise<MetricSnapshot> {
    const values: Sample[] = [];
    for (const series of this.source.counts())
      values.push({ labels: { ...series.labels }, value: series.count });
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    };
  }

  /** Resetting is done through the histogram it reads. */
  reset(): void {}
}

/**
 * Registers `metric` on `registry`, or returns the one of that name made here before.
 *
 * @throws when another metric of that name, or one with other label names, is registered
 */
export function registerSeriesMetric<M extends SeriesHistogram | CountsCounter>(
  registry: Registry<RegistryContentType>,
  metric: M,
  accept: (existing: unknown) => existing is M,
): M {
  const existing = registry.getSingleMetric(metric.name) as unknown;
  if (existing === undefined) {
    registry.registerMetric(metric as never);
    return metric;
  }
  if (!accept(existing)) {
    throw new Error(`metric ${metric.name} is already registered on this registry by other code`);
  }
  const have = [...existing.labelNames].sort().join(',');
  const want = [...metric.labelNames].sort().join(',');
  if (have !== want) {
    throw new Error(
      `metric ${metric.name} is already registered with labels [${have}], not [${want}]: use the same constLabels keys for every setup on one registry`,
    );
  }
  return existing;
}
