/** The chain check's input and output types, and what it assumes about the workload. */

/** How one link of the chain stands. `warn` does not fail the check; `skipped` could not be verified, with the reason. */
export type LinkStatus = 'ok' | 'broken' | 'warn' | 'skipped';

/** One link of the metric → Prometheus → adapter/KEDA → HPA → Deployment chain. */
export interface ChainLink {
  /** Which kind of link (`service-selects-pods`, `hpa-metric`...), stable for scripts. */
  readonly link: string;
  /** The two ends, in words: `HorizontalPodAutoscaler/model-server → request_queue_depth_avg`. */
  readonly subject: string;
  readonly status: LinkStatus;
  /** What was found; for `skipped`, why it could not be verified. */
  readonly detail: string;
  /** How to fix it, when it is not ok. */
  readonly fix?: string;
}

/** The result of `checkChain`. */
export interface ChainReport {
  /** True when no link is broken. */
  readonly ok: boolean;
  readonly links: readonly ChainLink[];
}

/**
 * What the check assumes about the workload where the manifests cannot say. Every field has a
 * default ({@link DEFAULT_ASSUMPTIONS}, suited to `@mlscale/model-server`); the CLI sets them with
 * flags. What it cannot verify under these assumptions is reported `skipped`, never `broken`.
 */
export interface WorkloadAssumptions {
  /**
   * The path the workload serves its metrics on. A ServiceMonitor scraping another path is broken
   * when this was given, and skipped (not known) when it is the default.
   */
  readonly metricsPath: string;
  /**
   * Environment variable holding the seconds the app keeps serving after SIGTERM (before it stops
   * accepting). Empty: the app has no such phase.
   */
  readonly shutdownDelayEnv: string;
  /** Environment variable holding the seconds the app drains in-flight requests. Empty: none. */
  readonly shutdownDrainEnv: string;
  /**
   * RE2 expression of series that only some pods expose (on GPU nodes, say): a missing one is a
   * warning, not a break.
   */
  readonly optionalSeries: string;
  /**
   * The Deployment whose pods serve the metrics, for the target labels Prometheus would add
   * (`pod`, `container`...). Default: the one the HPAs and ScaledObjects scale, else the first.
   */
  readonly workload?: string;
}

/** The defaults of {@link WorkloadAssumptions}: those of `@mlscale/model-server`. */
export const DEFAULT_ASSUMPTIONS: WorkloadAssumptions = {
  metricsPath: '/metrics',
  shutdownDelayEnv: 'SHUTDOWN_DELAY_SECONDS',
  shutdownDrainEnv: 'SHUTDOWN_DRAIN_SECONDS',
  optionalSeries: '^gpu_',
};

/** Everything the chain check reads. Every field but `manifests` is optional; links that need a missing one are `skipped`. */
export interface ChainInput {
  /** Parsed Kubernetes objects: Deployment, Service, ServiceMonitor, HPA, ScaledObject... */
  readonly manifests: readonly unknown[];
  /** Parsed prometheus-adapter Helm values. */
  readonly adapterValues?: unknown;
  /** Parsed kube-prometheus-stack Helm values. */
  readonly prometheusStackValues?: unknown;
  /** The workload's metrics body (Prometheus text format). */
  readonly exposition?: string;
  /** HTTP status each probe path answered with on the running app (`{'/readyz': 200}`). */
  readonly probeStatus?: Readonly<Record<string, number>>;
  /** Namespace to render queries for; default `default`. */
  readonly namespace?: string;
  /**
   * The kube-prometheus-stack release name and namespace (default `prometheus` in `monitoring`).
   * Prometheus addresses are checked against it when this or `prometheusStackValues` is given,
   * and skipped otherwise (nothing says which Prometheus is meant).
   */
  readonly prometheus?: { readonly release?: string; readonly namespace?: string };
  /** What to assume about the workload; each field defaults to {@link DEFAULT_ASSUMPTIONS}. */
  readonly assumptions?: Partial<WorkloadAssumptions>;
}
