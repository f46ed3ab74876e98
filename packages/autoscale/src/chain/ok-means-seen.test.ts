/**
 * The class behind the false oks: a link is `ok` only about what the check saw. Over the
 * package's own chain, given whole and in every partial combination, no `ok` link's detail admits
 * something unseen (that is a `skip`), and a link whose other end was not given is never `ok`.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCheck } from '../cli/check.js';

const project = new URL('../../examples/project/', import.meta.url).pathname;
const file = (name: string) => join(project, name);
const DOUBT = /\b(if the workload|not verified|not verifiable|assumed|not known|unknown|may)\b/i;

const inputs: [string, string[], { metricsFile?: string }][] = [
  ['the whole chain with a recorded /metrics', [project], { metricsFile: file('metrics.txt') }],
  ['the whole chain without /metrics', [project], {}],
  [
    'the HPA and the adapter values',
    [file('hpa.yaml'), file('prometheus-adapter-values.yaml')],
    {},
  ],
  ['the HPA alone', [file('hpa.yaml')], {}],
  ['the Service and the ServiceMonitor', [file('service.yaml'), file('servicemonitor.yaml')], {}],
  ['the Deployment and the HPA', [file('deployment.yaml'), file('hpa.yaml')], {}],
];

describe('ok means seen', () => {
  it.each(inputs)('%s', async (_name, paths, extra) => {
    const outcome = await runCheck({ paths, ...extra });
    if (!outcome.ok) throw new Error(outcome.error);
    for (const link of outcome.report.links.filter((l) => l.status === 'ok')) {
      expect(link.detail, `${link.subject}: ${link.detail}`).not.toMatch(DOUBT);
    }
    const kinds = new Set(outcome.report.links.map((l) => l.link));
    // Without the Deployment, nothing that needs it is ok (or broken).
    if (!paths.some((p) => p === project || p.endsWith('deployment.yaml'))) {
      for (const link of outcome.report.links.filter((l) =>
        ['hpa-target', 'service-selects-pods'].includes(l.link),
      )) {
        expect(link.status).toBe('skipped');
      }
    }
    expect(kinds.size).toBeGreaterThan(0);
  });
});
