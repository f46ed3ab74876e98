import { Counter, Gauge, type Registry, type RegistryContentType } from 'prom-client';
import type { GpuDeviceReading, GpuReadResult } from './probe-types.js';

/** Something that can hand the metrics a reading at scrape time: one probe. */
export interface ReadingSource {
  /** The reading to publish now (reads NVML when the cached one is stale). */
  snapshot(): GpuReadResult;
}

const SOURCES = Symbol.for('@mlscale/gpu-probe.sources');
type Owned = { [SOURCES]?: Set<ReadingSource> };

/** The metric contract (see the design notes): names and labels that dashboards and the HPA rely on. */
export const GPU_METRICS = {
  utilization: {
    name: 'gpu_utilization_percent',
    help: 'Percent of the last sample period (1/6 s to 1 s) during which a kernel ran on the GPU (NVML). Absent when the GPU does not report it (MIG) or could not be read.',
    labelNames: ['gpu', 'uuid'],
    kind: 'gauge',
  },
  memoryUsed: {
    name: 'gpu_memory_used_bytes',
    help: 'GPU memory in use, bytes (NVML).',
    labelNames: ['gpu', 'uuid'],
    kind: 'gauge',
  },
  memoryTotal: {
    name: 'gpu_memory_total_bytes',
    help: 'GPU memory in total, bytes (NVML).',
    labelNames: ['gpu', 'uuid'],
    kind: 'gauge',
  },
  busy: {
    name: 'gpu_busy_seconds_total',
    help: "Seconds during which a kernel ran on the GPU, integrated from NVML's utilization samples; rate() is the busy fraction 0..1.",
    labelNames: ['gpu', 'uuid'],
    kind: 'counter',
  },
  up: {
    name: 'gpu_probe_up',
    help: '1 when NVML answered for every GPU on the last read, 0 when the last read failed.',
    labelNames: [],
    kind: 'gauge',
  },
  readErrors: {
    name: 'gpu_probe_read_errors_total',
    help: 'Reads of NVML that failed.',
    labelNames: [],
    kind: 'counter',
  },
} as const satisfies Record<
  string,
  { name: string; help: string; labelNames: readonly string[]; kind: 'gauge' | 'counter' }
>;

type Publish = (metric: Gauge | Counter, results: GpuReadResult[]) => void;

function labels(d: GpuDeviceReading): { gpu: string; uuid: string } {
  return { gpu: d.gpu, uuid: d.uuid };
}

function perDevice(value: (d: GpuDeviceReading) => number | null): Publish {
  return function publishPerDevice(metric, results) {
    metric.reset();
    for (const result of results) {
      for (const device of result.devices) {
        const v = value(device);
        if (v === null) continue;
        if (metric instanceof Counter) metric.inc(labels(device), v);
        else metric.set(labels(device), v);
      }
    }
  };
}

const PUBLISH = {
  utilization: perDevice((d) => d.utilization?.gpu ?? null),
  memoryUsed: perDevice((d) => d.memory.used),
  memoryTotal: perDevice((d) => d.memory.total),
  busy: perDevice((d) => d.busySecondsTotal),
  up: function publishUp(metric, results) {
    if (metric instanceof Gauge)
      metric.set(results.length > 0 && results.every((r) => r.ok) ? 1 : 0);
  },
} satisfies Partial<Record<keyof typeof GPU_METRICS, Publish>>;

/** The probe's handles on its metrics. */
export interface GpuMetrics {
  /** Counts one failed read. */
  readError(): void;
  /** Stops publishing this source's readings. */
  detach(): void;
}

function getOrCreate(
  registry: Registry<RegistryContentType>,
  key: keyof typeof GPU_METRICS,
  sources: () => Set<ReadingSource>,
): Gauge | Counter {
  const def = GPU_METRICS[key];
  const existing = registry.getSingleMetric(def.name) as (Gauge | Counter) | undefined;
  if (existing) {
    if (!(existing as Owned)[SOURCES]) {
      throw new Error(
        `@mlscale/gpu-probe: the registry already has a metric named ${def.name} that this package did not create; remove it or use another registry.`,
      );
    }
    return existing;
  }
  const publish: Publish | undefined =
    key in PUBLISH ? PUBLISH[key as keyof typeof PUBLISH] : undefined;
  const config = {
    name: def.name,
    help: def.help,
    labelNames: [...def.labelNames],
    registers: [registry],
    ...(publish
      ? {
          collect(this: Gauge | Counter) {
            publish(
              this,
              [...sources()].map((s) => s.snapshot()),
            );
          },
        }
      : {}),
  };
  const metric = def.kind === 'gauge' ? new Gauge(config) : new Counter(config);
  (metric as Owned)[SOURCES] = sources();
  return metric;
}

/**
 * Gets or creates the GPU metrics on `registry` (so two probes on one registry share them) and
 * attaches `source`, whose readings they publish at scrape time.
 *
 * @param registry the prom-client registry (never the global one unless you pass it)
 * @param source the probe
 */
export function attachGpuMetrics(
  registry: Registry<RegistryContentType>,
  source: ReadingSource,
): GpuMetrics {
  // All the metrics of one registry share one set of sources: the first metric found decides it.
  let shared: Set<ReadingSource> | undefined;
  for (const def of Object.values(GPU_METRICS)) {
    const existing = registry.getSingleMetric(def.name) as Owned | undefined;
    if (existing?.[SOURCES]) {
      shared = existing[SOURCES];
      break;
    }
  }
  const sources = shared ?? new Set<ReadingSource>();
  const keys = Object.keys(GPU_METRICS) as Array<keyof typeof GPU_METRICS>;
  const metrics = Object.fromEntries(keys.map((k) => [k, getOrCreate(registry, k, () => sources)]));
  sources.add(source);
  const readErrors = metrics.readErrors as Counter;
  return {
    readError() {
      readErrors.inc();
    },
    detach() {
      sources.delete(source);
    },
  };
}
