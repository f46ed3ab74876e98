import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderAdapterConfig, renderPrometheusConfig, scrapeTargets } from './configs.js';
import { REPO_ROOT } from './control-plane.js';

describe('rendered configs', () => {
  it("prometheus-adapter's config carries infra's custom and external rules unchanged", () => {
    const config = parse(
      renderAdapterConfig(join(REPO_ROOT, 'infra/helm/prometheus-adapter-values.yaml')),
    );
    const values = parse(
      readFileSync(join(REPO_ROOT, 'infra/helm/prometheus-adapter-values.yaml'), 'utf8'),
    );
    expect(config.rules).toEqual(values.rules.custom);
    expect(config.externalRules).toEqual(values.rules.external);
  });

  it('Prometheus scrapes the running, annotated pods at their address, labelled namespace and pod', () => {
    const config = parse(renderPrometheusConfig({ targetsFile: '/x/targets.json' }));
    expect(config.scrape_configs[0].file_sd_configs).toEqual([
      { files: ['/x/targets.json'], refresh_interval: '5s' },
    ]);
    const annotations = {
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '8080',
      'prometheus.io/path': '/metrics',
    };
    expect(
      scrapeTargets([
        {
          metadata: { name: 'b', namespace: 'n', annotations },
          status: { phase: 'Running', podIP: '127.70.0.3' },
        },
        {
          metadata: { name: 'a', namespace: 'n', annotations },
          status: { phase: 'Running', podIP: '127.70.0.2' },
        },
        {
          metadata: { name: 'pending', namespace: 'n', annotations },
          status: { phase: 'Pending' },
        },
        {
          metadata: { name: 'unannotated', namespace: 'n' },
          status: { phase: 'Running', podIP: '127.70.0.4' },
        },
      ]),
    ).toEqual([
      {
        targets: ['127.70.0.2:8080'],
        labels: { __metrics_path__: '/metrics', namespace: 'n', pod: 'a' },
      },
      {
        targets: ['127.70.0.3:8080'],
        labels: { __metrics_path__: '/metrics', namespace: 'n', pod: 'b' },
      },
    ]);
  });
});
