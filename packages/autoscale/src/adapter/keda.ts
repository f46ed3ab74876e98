import { isRecord } from '../is-record.js';
import { fail, ok, type Result } from './result.js';

/** A KEDA `prometheus` trigger with its metadata read as KEDA's scaler reads it. */
export interface KedaPrometheusTrigger {
  /** Position in `spec.triggers`. */
  readonly index: number;
  /** The trigger's optional `name`. */
  readonly name?: string;
  /** Name of the external metric KEDA registers with the HPA (`s<index>-prometheus`). */
  readonly metricName: string;
  /** `metadata.serverAddress`. */
  readonly serverAddress: string;
  /** `metadata.query`, sent to Prometheus as is (KEDA does no templating). */
  readonly query: string;
  /** `metadata.threshold`: the HPA target (per pod for `AverageValue`). */
  readonly threshold: number;
  /** `metadata.activationThreshold` (default 0): above it, the target is active (scale from 0). */
  readonly activationThreshold: number;
  /** `metadata.ignoreNullValues` (KEDA's default is true: an empty result reads as 0). */
  readonly ignoreNullValues: boolean;
  /** `metricType` (default `AverageValue`). */
  readonly metricType: 'AverageValue' | 'Value';
  /** `metadata.namespace` (for Thanos-style tenancy), if set. */
  readonly namespace?: string;
  /** `metadata.unsafeSsl`. */
  readonly unsafeSsl: boolean;
}

/** The parts of a KEDA `ScaledObject` the checks use. */
export interface KedaScaledObject {
  readonly name: string;
  readonly namespace?: string;
  readonly scaleTargetRef: {
    readonly kind: string;
    readonly name: string;
    readonly apiVersion: string;
  };
  readonly minReplicaCount: number;
  readonly maxReplicaCount: number;
  readonly pollingInterval: number;
  readonly cooldownPeriod: number;
  readonly fallback?: { readonly failureThreshold: number; readonly replicas: number };
  /** `spec.advanced.horizontalPodAutoscalerConfig.behavior`, passed to the HPA KEDA creates. */
  readonly behavior?: unknown;
  readonly prometheusTriggers: readonly KedaPrometheusTrigger[];
  /** Triggers of other types, kept so nothing is silently ignored. */
  readonly otherTriggers: readonly { readonly index: number; readonly type: string }[];
}

const goTrue = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const goFalse = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Parses a boolean as Go's `strconv.ParseBool` (which KEDA uses for trigger metadata). */
export function parseGoBool(value: string): boolean | undefined {
  if (goTrue.has(value)) return true;
  if (goFalse.has(value)) return false;
  return undefined;
}

function numberField(raw: unknown, fallback: number, path: string): Result<number> {
  if (raw === undefined) return ok(fallback);
  const value = Number(raw);
  if (typeof raw === 'boolean' || !Number.isFinite(value))
    return fail(`${path} must be a number, got ${JSON.stringify(raw)}`);
  return ok(value);
}

function readTrigger(raw: Record<string, unknown>, index: number): Result<KedaPrometheusTrigger> {
  const path = `spec.triggers[${index}]`;
  const metadata = isRecord(raw.metadata) ? raw.metadata : undefined;
  if (!metadata) return fail(`${path}.metadata is missing`);
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') {
      return fail(
        `${path}.metadata.${key} must be a string (quote it: "${String(value)}"); KEDA's CRD accepts strings only`,
      );
    }
  }
  const meta = metadata as Record<string, string>;
  if (!meta.serverAddress) return fail(`${path}.metadata.serverAddress is missing`);
  if (!meta.query) return fail(`${path}.metadata.query is missing`);
  if (meta.threshold === undefined) return fail(`${path}.metadata.threshold is missing`);
  const threshold = Number(meta.threshold);
  if (meta.threshold.trim() === '' || !Number.isFinite(threshold)) {
    return fail(`${path}.metadata.threshold must be a number, got "${meta.threshold}"`);
  }
  const activation = Number(meta.activationThreshold ?? '0');
  if (!Number.isFinite(activation)) {
    return fail(
      `${path}.metadata.activationThreshold must be a number, got "${meta.activationThreshold}"`,
    );
  }
  const ignoreNull =
    meta.ignoreNullValues === undefined ? true : parseGoBool(meta.ignoreNullValues);
  if (ignoreNull === undefined) {
    return fail(
      `${path}.metadata.ignoreNullValues must be true or false, got "${meta.ignoreNullValues}"`,
    );
  }
  const unsafeSsl = meta.unsafeSsl === undefined ? false : parseGoBool(meta.unsafeSsl);
  if (unsafeSsl === undefined)
    return fail(`${path}.metadata.unsafeSsl must be true or false, got "${meta.unsafeSsl}"`);
  const metricType = raw.metricType ?? 'AverageValue';
  if (metricType !== 'AverageValue' && metricType !== 'Value') {
    return fail(
      `${path}.metricType must be AverageValue or Value for the prometheus scaler, got "${String(metricType)}"`,
    );
  }
  return ok({
    index,
    ...(typeof raw.name === 'string' ? { name: raw.name } : {}),
    metricName: `s${index}-prometheus`,
    serverAddress: meta.serverAddress,
    query: meta.query,
    threshold,
    activationThreshold: activation,
    ignoreNullValues: ignoreNull,
    metricType,
    ...(meta.namespace ? { namespace: meta.namespace } : {}),
    unsafeSsl,
  });
}

/**
 * Reads a KEDA `ScaledObject` (already parsed from YAML) with KEDA's defaults: `minReplicaCount` 0,
 * `maxReplicaCount` 100, `pollingInterval` 30, `cooldownPeriod` 300, `ignoreNullValues` true,
 * `metricType` AverageValue. Each `prometheus` trigger's metric is named `s<index>-prometheus`, as
 * KEDA's `GenerateMetricNameWithIndex` names it.
 *
 * @param doc - the manifest
 * @example
 * readScaledObject(parse(readFileSync('scaledobject.yaml', 'utf8')));
 */
export function readScaledObject(doc: unknown): Result<KedaScaledObject> {
  if (!isRecord(doc) || doc.kind !== 'ScaledObject')
    return fail('not a KEDA ScaledObject (kind: ScaledObject)');
  const metadata = isRecord(doc.metadata) ? doc.metadata : {};
  const spec = isRecord(doc.spec) ? doc.spec : undefined;
  if (!spec) return fail('ScaledObject: spec is missing');
  const target = isRecord(spec.scaleTargetRef) ? spec.scaleTargetRef : undefined;
  if (!target || typeof target.name !== 'string')
    return fail('ScaledObject: spec.scaleTargetRef.name is missing');
  const numbers: Record<string, number> = {};
  for (const [key, fallback] of [
    ['minReplicaCount', 0],
    ['maxReplicaCount', 100],
    ['pollingInterval', 30],
    ['cooldownPeriod', 300],
  ] as const) {
    const value = numberField(spec[key], fallback, `spec.${key}`);
    if (!value.ok) return value;
    numbers[key] = value.value;
  }
  let fallbackSpec: KedaScaledObject['fallback'];
  if (spec.fallback !== undefined) {
    const raw = isRecord(spec.fallback) ? spec.fallback : {};
    const failureThreshold = numberField(
      raw.failureThreshold,
      Number.NaN,
      'spec.fallback.failureThreshold',
    );
    const replicas = numberField(raw.replicas, Number.NaN, 'spec.fallback.replicas');
    if (!failureThreshold.ok) return failureThreshold;
    if (!replicas.ok) return replicas;
    if (Number.isNaN(failureThreshold.value) || Number.isNaN(replicas.value)) {
      return fail('spec.fallback needs both failureThreshold and replicas');
    }
    fallbackSpec = { failureThreshold: failureThreshold.value, replicas: replicas.value };
  }
  if (!Array.isArray(spec.triggers) || spec.triggers.length === 0)
    return fail('ScaledObject: spec.triggers is empty');
  const prometheusTriggers: KedaPrometheusTrigger[] = [];
  const otherTriggers: { index: number; type: string }[] = [];
  for (const [index, raw] of spec.triggers.entries()) {
    if (!isRecord(raw) || typeof raw.type !== 'string')
      return fail(`spec.triggers[${index}].type is missing`);
    if (raw.type !== 'prometheus') {
      otherTriggers.push({ index, type: raw.type });
      continue;
    }
    const trigger = readTrigger(raw, index);
    if (!trigger.ok) return trigger;
    prometheusTriggers.push(trigger.value);
  }
  const advanced = isRecord(spec.advanced) ? spec.advanced : {};
  const hpaConfig = isRecord(advanced.horizontalPodAutoscalerConfig)
    ? advanced.horizontalPodAutoscalerConfig
    : {};
  return ok({
    name: typeof metadata.name === 'string' ? metadata.name : '',
    ...(typeof metadata.namespace === 'string' ? { namespace: metadata.namespace } : {}),
    scaleTargetRef: {
      name: target.name,
      kind: typeof target.kind === 'string' ? target.kind : 'Deployment',
      apiVersion: typeof target.apiVersion === 'string' ? target.apiVersion : 'apps/v1',
    },
    minReplicaCount: numbers.minReplicaCount ?? 0,
    maxReplicaCount: numbers.maxReplicaCount ?? 100,
    pollingInterval: numbers.pollingInterval ?? 30,
    cooldownPeriod: numbers.cooldownPeriod ?? 300,
    ...(fallbackSpec ? { fallback: fallbackSpec } : {}),
    ...(hpaConfig.behavior !== undefined ? { behavior: hpaConfig.behavior } : {}),
    prometheusTriggers,
    otherTriggers,
  });
}
