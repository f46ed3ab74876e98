import { SERIES } from '@mlscale/metric-contract';
import { Counter, Gauge, type Registry, type RegistryContentType } from 'prom-client';
import { checkConstLabels } from './const-labels.js';
import type { GpuDeviceReading, GpuReadResult } from './probe-types.js';

/** Something that can hand the metrics a reading at scrape time: one probe. */
export interface ReadingSource {
  /** The reading to publish now (reads NVML when the cached one is stale). */
  snapshot(): GpuReadResult;
}

const SOURCES = Symbol.for('@mlscale/gpu-probe.sources');
/** The probes publishing on one registry, each with its constant labels. */
type Sources = Map<ReadingSource, Readonly<Record<string, string>>>;
type Owned = { [SOURCES]?: Sources; labelNames?: string[] };
// Per gpu_probe_up gauge, every label set a probe attached with (JSON key → labels).
const LABEL_SETS = new WeakMap<object, Map<string, Readonly<Record<string, string>>>>();

function labelSets(up: object): Map<string, Readonly<Record<string, string>>> {
  let sets = LABEL_SETS.get(up);
  if (!sets) {
    sets = new Map();
    LABEL_SETS.set(up, sets);
  }
  return sets;
}

/** One probe's reading, with the constant labels it is published under. */
type LabelledReading = { labels: Readonly<Record<string, string>>; result: GpuReadResult };

/** The probe's series of the metric contract (`@mlscale/metric-contract`): names and labels that dashboards and the HPA rely on. */
export const GPU_METRICS = {
  utilization: {
    name: SERIES.gpuUtilization.name,
    help: SERIES.gpuUtilization.help,
    labelNames: SERIES.gpuUtilization.labels,
    kind: SERIES.gpuUtilization.type,
  },
  memoryUsed: {
    name: SERIES.gpuMemoryUsed.name,
    help: SERIES.gpuMemoryUsed.help,
    labelNames: SERIES.gpuMemoryUsed.labels,
    kind: SERIES.gpuMemoryUsed.type,
  },
  memoryTotal: {
    name: SERIES.gpuMemoryTotal.name,
    help: SERIES.gpuMemoryTotal.help,
    labelNames: SERIES.gpuMemoryTotal.labels,
    kind: SERIES.gpuMemoryTotal.type,
  },
  busy: {
    name: SERIES.gpuBusySeconds.name,
    help: SERIES.gpuBusySeconds.help,
    labelNames: SERIES.gpuBusySeconds.labels,
    kind: SERIES.gpuBusySeconds.type,
  },
  processUtilization: {
    name: SERIES.gpuProcessUtilization.name,
    help: SERIES.gpuProcessUtilization.help,
    labelNames: SERIES.gpuProcessUtilization.labels,
    kind: SERIES.gpuProcessUtilization.type,
  },
  processMemoryUsed: {
    name: SERIES.gpuProcessMemoryUsed.name,
    help: SERIES.gpuProcessMemoryUsed.help,
    labelNames: SERIES.gpuProcessMemoryUsed.labels,
    kind: SERIES.gpuProcessMemoryUsed.type,
  },
  processAttributed: {
    name: SERIES.gpuProcessAttributed.name,
    help: SERIES.gpuProcessAttributed.help,
    labelNames: SERIES.gpuProcessAttributed.labels,
    kind: SERIES.gpuProcessAttributed.type,
  },
  up: {
    name: SERIES.gpuProbeUp.name,
    help: SERIES.gpuProbeUp.help,
    labelNames: SERIES.gpuProbeUp.labels,
    kind: SERIES.gpuProbeUp.type,
  },
  readErrors: {
    name: SERIES.gpuProbeReadErrors.name,
    help: SERIES.gpuProbeReadErrors.help,
    labelNames: SERIES.gpuProbeReadErrors.labels,
    kind: SERIES.gpuProbeReadErrors.type,
  },
} as const satisfies Record<
  string,
  { name: string; help: string; labelNames: readonly string[]; kind: 'gauge' | 'counter' }
>;

type Publish = (metric: Gauge | Counter, readings: LabelledReading[]) => void;

function perDevice(value: (d: GpuDeviceReading) => number | null): Publish {
  return function publishPerDevice(metric, readings) {
    metric.reset();
    for (const { labels, result } of readings) {
      for (const device of result.devices) {
        const v = value(device);
        if (v === null) continue;
        const series = { gpu: device.gpu, uuid: device.uuid, ...labels };
        if (metric instanceof Counter) metric.inc(series, v);
        else metric.set(series, v);
      }
    }
  };
}

const PUBLISH = {
  utilization: perDevice((d) => d.utilization?.gpu ?? null),
  memoryUsed: perDevice((d) => d.memory.used),
  memoryTotal: perDevice((d) => d.memory.total),
  busy: perDevice((d) => d.busySecondsTotal),
  processUtilization: perDevice((d) => d.process?.utilization?.sm ?? null),
  processMemoryUsed: perDevice((d) => d.process?.memoryUsedBytes ?? null),
  processAttributed: function publishAttributed(metric, readings) {
    if (!(metric instanceof Gauge)) return;
    metric.reset();
    for (const { labels, result } of readings) {
      for (const device of result.devices) {
        const attribution = device.process?.attribution;
        if (!attribution) continue;
        const reason = attribution.ok ? attribution.how : attribution.reason;
        metric.set(
          { gpu: device.gpu, uuid: device.uuid, reason, ...labels },
          attribution.ok ? 1 : 0,
        );
      }
    }
  },
  // One value per label set ever attached: 1 when every probe with those labels read NVML on its
  // last read, 0 when one failed or none is attached any more (closed).
  up: function publishUp(metric, readings) {
    if (!(metric instanceof Gauge)) return;
    const up = new Map<string, boolean>();
    for (const { labels, result } of readings) {
      const key = JSON.stringify(labels);
      up.set(key, (up.get(key) ?? true) && result.ok);
    }
    for (const [key, labels] of labelSets(metric)) metric.set(labels, up.get(key) ? 1 : 0);
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
  constNames: readonly string[],
  sources: () => Sources,
): Gauge | Counter {
  const def = GPU_METRICS[key];
  const labelNames = [...def.labelNames, ...constNames];
  const existing = registry.getSingleMetric(def.name) as (Gauge | Counter) | undefined;
  if (existing) {
    const owned = existing as Owned;
    if (!owned[SOURCES]) {
      throw new Error(
        `@mlscale/gpu-probe: the registry already has a metric named ${def.name} that this package did not create; remove it or use another registry.`,
      );
    }
    const have = [...(owned.labelNames ?? [])].sort().join(',');
    const want = [...labelNames].sort().join(',');
    if (have !== want) {
      throw new Error(
        `@mlscale/gpu-probe: ${def.name} is already registered with labels [${have}], not [${want}]: use the same constLabels keys for every probe on one registry`,
      );
    }
    return existing;
  }
  const publish: Publish | undefined =
    key in PUBLISH ? PUBLISH[key as keyof typeof PUBLISH] : undefined;
  const config = {
    name: def.name,
    help: def.help,
    labelNames,
    registers: [registry],
    ...(publish
      ? {
          collect(this: Gauge | Counter) {
            publish(
              this,
              [...sources()].map(([source, labels]) => ({ labels, result: source.snapshot() })),
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
 * attaches `source`, whose readings they publish at scrape time under `constLabels`.
 *
 * @param registry the prom-client registry (never the global one unless you pass it)
 * @param source the probe
 * @param constLabels labels added to every series of this probe; default none. Every probe on one
 *   registry must use the same label names (values may differ); otherwise this throws.
 */
export function attachGpuMetrics(
  registry: Registry<RegistryContentType>,
  source: ReadingSource,
  constLabels: Readonly<Record<string, string>> = {},
): GpuMetrics {
  const constNames = checkConstLabels(constLabels);
  const labels = Object.fromEntries(constNames.map((name) => [name, constLabels[name] ?? '']));
  // All the metrics of one registry share one set of sources: the first metric found decides it.
  let shared: Sources | undefined;
  for (const def of Object.values(GPU_METRICS)) {
    const existing = registry.getSingleMetric(def.name) as Owned | undefined;
    if (existing?.[SOURCES]) {
      shared = existing[SOURCES];
      break;
    }
  }
  const sources: Sources = shared ?? new Map();
  const keys = Object.keys(GPU_METRICS) as Array<keyof typeof GPU_METRICS>;
  const metrics = Object.fromEntries(
    keys.map((k) => [k, getOrCreate(registry, k, constNames, () => sources)]),
  );
  sources.set(source, labels);
  labelSets(metrics.up as object).set(JSON.stringify(labels), labels);
  const readErrors = metrics.readErrors as Counter;
  // A labelled counter has no sample until its first increment: show 0 from the start.
  readErrors.inc(labels, 0);
  return {
    readError() {
      readErrors.inc(labels);
    },
    detach() {
      sources.delete(source);
    },
  };
}
