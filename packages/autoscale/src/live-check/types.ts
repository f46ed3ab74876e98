/** What the live check reads and reports. */
import type { AdapterRule } from '../adapter/rules.js';
import type { ChainLink } from '../chain/types.js';
import type { PrometheusClient } from '../prometheus/client.js';
import type { KubeApi } from './kube-api.js';

/** The adapter's rules, and where they were found. */
export interface FoundRules {
  /** `rules` (custom.metrics.k8s.io). */
  readonly custom: readonly AdapterRule[];
  /** `externalRules` (external.metrics.k8s.io). */
  readonly external: readonly AdapterRule[];
  /** Where they came from, in words (`--adapter-config x.yaml`, `ConfigMap monitoring/adapter key config.yaml`). */
  readonly source: string;
}

/** What every link of one run shares. */
export interface LiveContext {
  readonly api: KubeApi;
  /** The adapter's rules, when found. */
  readonly rules?: FoundRules;
  /** Why the rules were not found. */
  readonly rulesMissing?: string;
  /** Prometheus, when known and answering. */
  readonly prometheus?: PrometheusClient;
  /** Why Prometheus links cannot be checked. */
  readonly prometheusMissing?: string;
  /** Milliseconds to wait for a pod's /metrics (default 3000). */
  readonly podTimeoutMs: number;
  /** GET of a URL (a pod's /metrics, Prometheus' targets): injectable for tests. */
  readonly fetch: typeof fetch;
}

/** The links of one HPA or ScaledObject, source first, sink last. */
export interface ScalerReport {
  /** `HorizontalPodAutoscaler/serving/model-server`. */
  readonly scaler: string;
  readonly links: readonly ChainLink[];
}

/** The result of a live check. */
export interface LiveReport {
  /** The kubeconfig context and API server. */
  readonly context: string;
  readonly server: string;
  /** Links every scaler shares: where the adapter's rules and Prometheus were found. */
  readonly shared: readonly ChainLink[];
  readonly scalers: readonly ScalerReport[];
  /** True when no link is broken. */
  readonly ok: boolean;
}
