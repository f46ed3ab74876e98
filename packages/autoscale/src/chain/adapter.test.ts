import { describe, expect, it } from 'vitest';
import { broken, input } from './chain.fixture.js';
import { checkChain } from './check.js';

describe('adapter values that cannot be read', () => {
  it('break the values link and skip the HPA metrics, saying why', () => {
    const report = checkChain(
      input({ adapterValues: { rules: { custom: [{ metricsQuery: 'x' }] } } }),
    );
    expect(broken(report.links).map((l) => l.link)).toEqual(['adapter-values']);
    expect(report.links.find((l) => l.link === 'hpa-metric')).toMatchObject({
      status: 'skipped',
      detail: 'the prometheus-adapter values could not be read (see above)',
    });
  });
});
