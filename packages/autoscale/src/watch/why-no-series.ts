/**
 * Why the adapter would serve nothing for a metric: asked of Prometheus, not guessed. A rule lists
 * a metric only when its `seriesQuery` selects series, and a pod only when those series carry the
 * namespace and pod labels its `resources` name; this finds which of these fails.
 */
import { goQuote, labelForResource } from '../adapter/render.js';
import type { AdapterRule } from '../adapter/rules.js';
import {
  compileRuleNamer,
  type LabelMatcher,
  metricNameForSeries,
  parseSeriesSelector,
  seriesMatches,
} from '../adapter/series.js';
import type { PrometheusClient } from '../prometheus/client.js';

function shown(m: LabelMatcher): string {
  return `${m.label}${m.op}${goQuote(m.value)}`;
}

/** Whether a rule could serve a metric name (its series name, when literal, named through the rule). */
export function mayServe(rule: AdapterRule, metric: string): boolean {
  const matchers = parseSeriesSelector(rule.seriesQuery);
  const namer = compileRuleNamer(rule);
  if (!matchers.ok || !namer.ok) return false;
  const name = matchers.value.find((m) => m.label === '__name__');
  if (name?.op !== '=') return true;
  return metricNameForSeries(namer.value, name.value) === metric;
}

/**
 * Asks Prometheus why a rule selects no series of a namespace's pods, and says it for a person:
 * no series of that name at all (not scraped, or not exported yet); series without the labels the
 * seriesQuery requires (a scrape that does not add `namespace` and `pod`); series only in other
 * namespaces; or series without the pod label.
 *
 * @param client - Prometheus
 * @param rule - the rule
 * @param namespace - the namespace watched
 * @returns one sentence, starting with the rule's path
 * @throws PrometheusError when Prometheus cannot be reached
 */
export async function whyNoSeries(
  client: PrometheusClient,
  rule: AdapterRule,
  namespace: string,
  signal?: AbortSignal,
): Promise<string> {
  const options = signal ? { signal } : {};
  const where = `${rule.path} (seriesQuery ${rule.seriesQuery})`;
  const parsed = parseSeriesSelector(rule.seriesQuery);
  if (!parsed.ok) return `${where}: ${parsed.error}`;
  const names = parsed.value.filter((m) => m.label === '__name__');
  const others = parsed.value.filter((m) => m.label !== '__name__');
  if (names.length === 0) return `${where} selects no series in Prometheus`;
  const bare = await client.series([`{${names.map(shown).join(',')}}`], options);
  const what = names.map((m) => (m.op === '=' ? m.value : shown(m))).join(', ');
  if (bare.length === 0) {
    return `${where}: Prometheus has no series ${what}: the pods are not scraped, or have not exported it yet (a series with labels appears on its first observation)`;
  }
  const series = bare.map((labels) => ({ name: labels.__name__ ?? '', labels }));
  const failing = others.filter((m) => !series.some((s) => seriesMatches(s, [m])));
  if (failing.length > 0) {
    const missing = failing.filter((m) => series.every((s) => s.labels[m.label] === undefined));
    const hint =
      missing.length > 0
        ? `: their labels lack ${missing.map((m) => m.label).join(' and ')}; the scrape must add the namespace and pod labels (a ServiceMonitor or PodMonitor does, a static scrape config or a bare target does not)`
        : '';
    return `${where}: Prometheus has ${bare.length} series of ${what}, but none with ${failing.map(shown).join(', ')}${hint}`;
  }
  const selected = series.filter((s) => seriesMatches(s, others));
  const nsLabel = labelForResource(rule, 'namespaces');
  if (nsLabel.ok) {
    const inNamespace = selected.filter((s) => s.labels[nsLabel.value] === namespace);
    if (inNamespace.length === 0) {
      const seen = [...new Set(selected.map((s) => s.labels[nsLabel.value] ?? '(none)'))].sort();
      return `${where}: its series are in namespace ${seen.join(', ')}, not "${namespace}" (give --namespace)`;
    }
    const podLabel = labelForResource(rule, 'pods');
    if (podLabel.ok && inNamespace.every((s) => !s.labels[podLabel.value])) {
      return `${where}: its series in namespace "${namespace}" have no ${podLabel.value} label, so no pod is found`;
    }
  }
  return `${where}: its series exist, but the rule serves another name from them (name.matches/name.as)`;
}
