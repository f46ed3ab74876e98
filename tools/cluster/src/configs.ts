/**
 * Configuration files rendered for this cluster: prometheus-adapter's rules from infra/'s chart
 * values, and Prometheus' scrape configuration discovering the pods through this API server.
 */
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';

/**
 * Renders prometheus-adapter's `--config` file from the chart values file, as the
 * prometheus-community chart's configmap template does: `rules.custom` → `rules`,
 * `rules.external` → `externalRules` (`rules.default: false`, as infra sets it, adds nothing).
 * @param valuesFile infra/helm/prometheus-adapter-values.yaml
 * @example writeFileSync('adapter.yaml', renderAdapterConfig('infra/helm/prometheus-adapter-values.yaml'));
 */
export function renderAdapterConfig(valuesFile: string): string {
  const values = parse(readFileSync(valuesFile, 'utf8')) as {
    rules?: { default?: boolean; custom?: unknown[]; external?: unknown[] };
  };
  if (values.rules?.default !== false) {
    throw new Error(
      `${valuesFile}: rules.default is not false; the chart's default rules are not rendered here`,
    );
  }
  return stringify({
    rules: values.rules.custom ?? [],
    externalRules: values.rules.external ?? [],
  });
}

/**
 * Prometheus' configuration: the pods of this cluster through file-based discovery, kept in step
 * with the API server by the node agent ({@link scrapeTargets}): Debian's Prometheus is built
 * without kubernetes_sd. The targets are what the prometheus-community chart's `kubernetes-pods`
 * job keeps (the `prometheus.io/*` annotations infra/base sets), labelled `namespace` and `pod`
 * (what the adapter maps to resources). The 5 s interval is the ServiceMonitor's.
 */
export function renderPrometheusConfig({
  targetsFile,
  scrapeInterval = '5s',
}: {
  targetsFile: string;
  scrapeInterval?: string;
}): string {
  return stringify({
    global: { scrape_interval: scrapeInterval, evaluation_interval: scrapeInterval },
    scrape_configs: [
      {
        job_name: 'kubernetes-pods',
        scrape_timeout: '4s',
        file_sd_configs: [{ files: [targetsFile], refresh_interval: '5s' }],
      },
    ],
  });
}

/** One file_sd target group. */
export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** The parts of a pod {@link scrapeTargets} reads. */
export interface ScrapedPod {
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
  status?: { phase?: string; podIP?: string };
}

/**
 * The scrape targets of the `kubernetes-pods` job, as Prometheus' kubernetes_sd (role: pod) and the
 * chart's relabelling would make them: running pods with an address and
 * `prometheus.io/scrape: "true"`, at `<podIP>:<prometheus.io/port>`, path `prometheus.io/path`.
 * @example writeFileSync(file, JSON.stringify(scrapeTargets(pods)));
 */
export function scrapeTargets(pods: Iterable<ScrapedPod>): TargetGroup[] {
  const groups: TargetGroup[] = [];
  for (const pod of pods) {
    const annotations = pod.metadata?.annotations ?? {};
    if (annotations['prometheus.io/scrape'] !== 'true') continue;
    if (pod.status?.phase !== 'Running' || !pod.status.podIP) continue;
    const port = annotations['prometheus.io/port'];
    if (!port || !/^\d+$/.test(port)) continue;
    groups.push({
      targets: [`${pod.status.podIP}:${port}`],
      labels: {
        __metrics_path__: annotations['prometheus.io/path'] ?? '/metrics',
        namespace: pod.metadata?.namespace ?? '',
        pod: pod.metadata?.name ?? '',
      },
    });
  }
  return groups.sort((a, b) =>
    `${a.labels.namespace}/${a.labels.pod}`.localeCompare(`${b.labels.namespace}/${b.labels.pod}`),
  );
}
