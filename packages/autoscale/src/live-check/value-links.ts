/** The metric's value as the HPA controller asks for it: per ready pod, or an external metric's items. */
import { field, list } from '../chain/manifests.js';
import type { ChainLink } from '../chain/types.js';
import type { KubeApi } from './kube-api.js';
import { METRICS_APIS, selectorString } from './metrics-api-links.js';
import { statusMessage } from './objects.js';

/** What the value links ask about. */
export interface ValueQuestion {
  readonly metric: string;
  readonly namespace: string;
  /** The API version discovery answered with. */
  readonly version: string;
  /** The metric's own `selector` in the HPA (metricLabelSelector / the external selector). */
  readonly metricSelector?: unknown;
}

/**
 * The `metric-value` link of a `Pods` metric: a value for every ready pod of the target, from
 * `GET /apis/custom.metrics.k8s.io/<version>/namespaces/<ns>/pods/*\/<metric>?labelSelector=...`.
 *
 * @param podSelector - the target's scale selector
 * @param ready - the ready pods' names
 */
export async function podValueLink(
  api: KubeApi,
  question: ValueQuestion,
  podSelector: string,
  ready: readonly string[],
): Promise<ChainLink> {
  const { metric, namespace, version } = question;
  const metricSelector = selectorString(question.metricSelector);
  const path = `/apis/${METRICS_APIS.custom.group}/${version}/namespaces/${namespace}/pods/*/${metric}?labelSelector=${encodeURIComponent(podSelector)}${metricSelector ? `&metricLabelSelector=${encodeURIComponent(metricSelector)}` : ''}`;
  const subject = `${metric} for the ready pods (custom metrics API)`;
  const answer = await api.get(path);
  if (answer.status !== 200) {
    return {
      link: 'metric-value',
      subject,
      status: 'broken',
      detail: `GET ${path} answered ${statusMessage(answer)}`,
      fix: "the adapter's rule must return a value for the pods",
    };
  }
  const values = new Map(
    list(answer.body, 'items').map((item) => [
      String(field(item, 'describedObject', 'name')),
      String(field(item, 'value')),
    ]),
  );
  const missing = ready.filter((pod) => !values.has(pod));
  const shown = ready.filter((pod) => values.has(pod)).map((pod) => `${pod}=${values.get(pod)}`);
  if (missing.length > 0) {
    return {
      link: 'metric-value',
      subject,
      status: 'broken',
      detail: `no value for ${missing.join(', ')}${shown.length > 0 ? ` (values: ${shown.join(', ')})` : ''}: the HPA counts a ready pod without a value as 0 on a scale-up and at target on a scale-down`,
      fix: "the pods' series must exist in Prometheus with the namespace and pod labels the rule maps",
    };
  }
  return {
    link: 'metric-value',
    subject,
    status: 'ok',
    detail: shown.join(', ') || 'no ready pod',
  };
}

/**
 * The `metric-value` link of an `External` metric: the items the HPA sums, from
 * `GET /apis/external.metrics.k8s.io/v1beta1/namespaces/<ns>/<metric>?labelSelector=...`.
 */
export async function externalValueLink(api: KubeApi, question: ValueQuestion): Promise<ChainLink> {
  const { metric, namespace, version } = question;
  const selector = selectorString(question.metricSelector);
  const path = `/apis/${METRICS_APIS.external.group}/${version}/namespaces/${namespace}/${metric}${selector ? `?labelSelector=${encodeURIComponent(selector)}` : ''}`;
  const subject = `${metric} (external metrics API)`;
  const answer = await api.get(path);
  const items = list(answer.body, 'items');
  if (answer.status !== 200 || items.length === 0) {
    return {
      link: 'metric-value',
      subject,
      status: 'broken',
      detail:
        answer.status !== 200
          ? `GET ${path} answered ${statusMessage(answer)}`
          : `GET ${path} returned no items (the HPA's "no metrics returned from external metrics API")`,
      fix: 'the external rule (or KEDA trigger) must return at least one sample for the selector',
    };
  }
  const shown = items.map((i) => String(field(i, 'value'))).join(', ');
  return {
    link: 'metric-value',
    subject,
    status: 'ok',
    detail: `${items.length} item(s): ${shown}`,
  };
}
