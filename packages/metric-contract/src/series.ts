/**
 * The metric contract: every series the project's exporters publish and its autoscaling reads,
 * with its type, labels, unit, buckets and meaning. The exporters register these names; the
 * simulator, planner, calibration and chain check read them; the infra tests check the adapter
 * rules and alerts against them. Adding a signal is one entry here plus its adapter rule.
 */

/** A Prometheus metric type, as the exposition's `# TYPE` line writes it. */
export type SeriesType = 'counter' | 'gauge' | 'histogram';

/** One series of the contract. */
export interface SeriesDefinition {
  /** The metric name, as Prometheus stores it (a histogram adds `_bucket`, `_sum`, `_count`). */
  readonly name: string;
  readonly type: SeriesType;
  /**
   * The labels the exporter sets itself. Constant labels a user adds (such as `model`) and the
   * ones Prometheus adds at scrape time (`namespace`, `pod`) come on top.
   */
  readonly labels: readonly string[];
  /** The unit of the value (`'seconds'`, `'bytes'`, `'requests'`, …), or `''` for a plain count or 0/1. */
  readonly unit: string;
  /** A histogram's default bucket upper bounds, ascending; absent on counters and gauges. */
  readonly buckets?: readonly number[];
  /** What it means: the `# HELP` text the exporter publishes. */
  readonly help: string;
  /** The package or app that exports it. */
  readonly exporter: string;
}

/**
 * Buckets of `inference_latency_seconds`, 100 µs to 10 s in 1-2.5-5 steps, so that a model of
 * 0.2 ms and one of 3 s both spread over several buckets. The reference guide's buckets
 * (0.01 … 5) are all among them, so its queries and dashboards read this histogram unchanged.
 */
export const INFERENCE_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

/** prom-client's default buckets (Prometheus clients' usual 5 ms … 10 s layout). */
export const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/**
 * Buckets of `request_queue_wait_seconds`: 1 ms … 10 s, finer at the low end than latency buckets
 * because an unloaded server's wait is well under the 10 ms where the guide's latency buckets start.
 */
export const WAIT_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

/** Buckets of `inference_batch_size`: powers of two up to the largest sensible BATCH_MAX_SIZE. */
export const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024] as const;

/**
 * Every series of the contract, by a short key. Names that the reference guide uses
 * (`inference_latency_seconds`, `request_queue_depth`, `gpu_utilization_percent`) are kept
 * exactly, so its adapter rules and HPA work unchanged.
 *
 * @example
 * import { SERIES } from '@mlscale/metric-contract';
 * const query = `rate(${SERIES.queueDepthSeconds.name}[1m])`;
 */
export const SERIES = {
  inferenceLatency: {
    name: 'inference_latency_seconds',
    type: 'histogram',
    labels: [],
    unit: 'seconds',
    buckets: INFERENCE_BUCKETS,
    help: 'Time spent in the model itself, per request, in seconds',
    exporter: '@mlscale/metrics',
  },
  httpDuration: {
    name: 'http_request_duration_seconds',
    type: 'histogram',
    labels: ['method', 'route', 'status'],
    unit: 'seconds',
    buckets: HTTP_BUCKETS,
    help: 'Time from the request reaching the server until its response, in seconds',
    exporter: '@mlscale/metrics',
  },
  httpRequests: {
    name: 'http_requests_total',
    type: 'counter',
    labels: ['method', 'route', 'status'],
    unit: 'requests',
    help: 'HTTP requests answered, by method, route pattern and status',
    exporter: '@mlscale/metrics',
  },
  queueDepth: {
    name: 'request_queue_depth',
    type: 'gauge',
    labels: [],
    unit: 'requests',
    help: 'Requests currently waiting or in flight',
    exporter: '@mlscale/queue-gauge',
  },
  queueDepthSeconds: {
    name: 'request_queue_depth_seconds_total',
    type: 'counter',
    labels: [],
    unit: 'request-seconds',
    help: 'Time integral of request_queue_depth in request-seconds; rate() is the mean depth',
    exporter: '@mlscale/queue-gauge',
  },
  queueWait: {
    name: 'request_queue_wait_seconds',
    type: 'histogram',
    labels: [],
    unit: 'seconds',
    buckets: WAIT_BUCKETS,
    help: 'Time from a request arriving until work on it starts, in seconds',
    exporter: '@mlscale/queue-gauge',
  },
  rejected: {
    name: 'requests_rejected_total',
    type: 'counter',
    labels: ['reason'],
    unit: 'requests',
    help: 'Requests refused without being served, by reason',
    exporter: '@mlscale/queue-gauge',
  },
  gpuUtilization: {
    name: 'gpu_utilization_percent',
    type: 'gauge',
    labels: ['gpu', 'uuid'],
    unit: 'percent',
    help: 'Percent of the last sample period (1/6 s to 1 s) during which a kernel ran on the GPU (NVML). Absent when the GPU does not report it (MIG) or could not be read.',
    exporter: '@mlscale/gpu-probe',
  },
  gpuMemoryUsed: {
    name: 'gpu_memory_used_bytes',
    type: 'gauge',
    labels: ['gpu', 'uuid'],
    unit: 'bytes',
    help: 'GPU memory in use, bytes (NVML).',
    exporter: '@mlscale/gpu-probe',
  },
  gpuMemoryTotal: {
    name: 'gpu_memory_total_bytes',
    type: 'gauge',
    labels: ['gpu', 'uuid'],
    unit: 'bytes',
    help: 'GPU memory in total, bytes (NVML).',
    exporter: '@mlscale/gpu-probe',
  },
  gpuBusySeconds: {
    name: 'gpu_busy_seconds_total',
    type: 'counter',
    labels: ['gpu', 'uuid'],
    unit: 'seconds',
    help: "Seconds during which a kernel ran on the GPU, integrated from NVML's utilization samples; rate() is the busy fraction 0..1.",
    exporter: '@mlscale/gpu-probe',
  },
  gpuProcessUtilization: {
    name: 'gpu_process_utilization_percent',
    type: 'gauge',
    labels: ['gpu', 'uuid'],
    unit: 'percent',
    help: "This process's own SM utilization of the GPU (NVML per-process samples since the previous read, percent of the time one of its kernels ran). Absent when it cannot be attributed (see gpu_process_attributed), never 0 for unknown.",
    exporter: '@mlscale/gpu-probe',
  },
  gpuProcessMemoryUsed: {
    name: 'gpu_process_memory_used_bytes',
    type: 'gauge',
    labels: ['gpu', 'uuid'],
    unit: 'bytes',
    help: 'GPU memory this process uses on the GPU, bytes (NVML compute process list; 0 when it holds no context there). Absent when unknown.',
    exporter: '@mlscale/gpu-probe',
  },
  gpuProcessAttributed: {
    name: 'gpu_process_attributed',
    type: 'gauge',
    labels: ['gpu', 'uuid', 'reason'],
    unit: '',
    help: "1 when gpu_process_utilization_percent is this process's own share, 0 when it cannot be told; reason says how (host-pid-namespace, host-procfs) or why not (pid-namespace, mig, mps, not-supported, nvml-error).",
    exporter: '@mlscale/gpu-probe',
  },
  gpuProbeUp: {
    name: 'gpu_probe_up',
    type: 'gauge',
    labels: [],
    unit: '',
    help: '1 when NVML answered for every GPU on the last read, 0 when the last read failed.',
    exporter: '@mlscale/gpu-probe',
  },
  gpuProbeReadErrors: {
    name: 'gpu_probe_read_errors_total',
    type: 'counter',
    labels: [],
    unit: '',
    help: 'Reads of NVML that failed.',
    exporter: '@mlscale/gpu-probe',
  },
  batchSize: {
    name: 'inference_batch_size',
    type: 'histogram',
    labels: [],
    unit: 'rows',
    buckets: BATCH_SIZE_BUCKETS,
    help: 'Rows per model run: requests merged by dynamic batching',
    exporter: 'apps/model-server',
  },
  receiving: {
    name: 'requests_receiving',
    type: 'gauge',
    labels: [],
    unit: 'requests',
    help: 'Inference requests whose body is still arriving (not in request_queue_depth until it has)',
    exporter: 'apps/model-server',
  },
  emulatedDevice: {
    name: 'emulated_device_info',
    type: 'gauge',
    labels: ['batch_ms', 'row_ms'],
    unit: '',
    help: 'Set to 1 when the server runs on an emulated device (a test device: every batch holds its worker batch_ms + row_ms per row on top of the model run)',
    exporter: 'apps/model-server',
  },
} as const satisfies Record<string, SeriesDefinition>;

/** The key of a series in {@link SERIES}. */
export type SeriesKey = keyof typeof SERIES;

/** The name of a series of the contract, such as `'request_queue_depth'`. */
export type SeriesName = (typeof SERIES)[SeriesKey]['name'];

/** The names Prometheus stores for a histogram: its buckets, sum and count. */
export const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'] as const;

/**
 * The series of the contract that a stored sample name belongs to: the series itself, or a
 * histogram's `_bucket`, `_sum` or `_count`, with `prefix` (such as `myapp_`) in front. Undefined
 * for a name outside the contract.
 *
 * @param sampleName - a name as Prometheus stores it, such as `inference_latency_seconds_bucket`
 * @param prefix - the exporters' metric name prefix; default `''`
 * @example
 * seriesOfSample('request_queue_wait_seconds_sum')?.name; // 'request_queue_wait_seconds'
 */
export function seriesOfSample(sampleName: string, prefix = ''): SeriesDefinition | undefined {
  if (!sampleName.startsWith(prefix)) return undefined;
  const name = sampleName.slice(prefix.length);
  for (const series of Object.values(SERIES) as SeriesDefinition[]) {
    if (series.name === name) return series;
    if (
      series.type === 'histogram' &&
      HISTOGRAM_SUFFIXES.some((suffix) => `${series.name}${suffix}` === name)
    ) {
      return series;
    }
  }
  return undefined;
}
