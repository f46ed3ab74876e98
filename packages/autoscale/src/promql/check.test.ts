import { describe, expect, it } from 'vitest';
import { checkPromql, formatPromqlIssue } from './check.js';
import { metricNamesInQuery } from './names.js';

describe('checkPromql', () => {
  it.each([
    'rate(inference_latency_seconds_sum{namespace="default",pod=~"a|b"}[2m]) / rate(inference_latency_seconds_count{namespace="default",pod=~"a|b"}[2m])',
    'sum(rate(request_queue_depth_seconds_total{namespace="ns",pod="a"}[1m])) by (pod)',
    'histogram_quantile(0.95, sum by (le, pod) (rate(inference_latency_seconds_bucket{pod="a"}[1m])))',
    'avg(gpu_utilization_percent{pod="a"}) by (pod) and on (pod) (max(gpu_probe_up{pod="a"}) by (pod) == 1)',
    'sum(request_queue_depth{namespace="ns"}) or vector(0)',
    'max_over_time(request_queue_depth[1m:15s])',
    'clamp_min(sum(x), 0)',
    'label_join(x, "dst", ",", "a", "b")',
    '-sum(x)',
    '2 * 3',
  ])('accepts %s', (query) => {
    expect(checkPromql(query)).toMatchObject({ ok: true });
  });

  it.each([
    'predict_linear(sum(rate(http_requests_total{namespace="ns"}[1m]))[5m:5s], 60) / 23.75',
    '(holt_winters(sum(rate(http_requests_total[1m]))[5m:5s], 0.5, 0.5) + 60 * deriv(sum(rate(http_requests_total[1m]))[5m:5s])) / 23.75',
    'double_exponential_smoothing(x[5m], 0.5, 0.5)',
    '(sum(rate(http_requests_total[1m] offset 9m)) or sum(rate(http_requests_total[1m]))) / 23.75',
  ])('accepts the forecasts of Prometheus 2.x and 3.x: %s', (query) => {
    expect(checkPromql(query)).toMatchObject({ ok: true, type: 'vector' });
  });

  it('checks holt_winters, a 2.x name the 3.x grammar lacks, with its own signature', () => {
    const result = checkPromql('holt_winters(sum(x), 0.5, 0.5)');
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors[0]?.message).toMatch(/holt_winters\(\).*range vector/);
      expect(result.errors[0]?.offset).toBe(13);
    }
  });

  it('reports an unclosed call at the end of the query', () => {
    const result = checkPromql('rate(x[2m]');
    expect(result).toEqual({
      ok: false,
      query: 'rate(x[2m]',
      errors: [{ message: 'unexpected end of query', offset: 10, line: 1, column: 11 }],
    });
  });

  it('reports a stray token with its line and column', () => {
    const result = checkPromql('sum(x)\n  by (pod) foo');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0]).toMatchObject({ line: 2, column: 12, message: 'unexpected "foo"' });
  });

  it('says when an adapter template was left unrendered', () => {
    const result = checkPromql('x{<<.LabelMatchers>>}');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0]?.message).toMatch(/template was not rendered/);
  });

  it.each([
    [
      'rate(x)',
      /argument 1 of rate\(\) expects a range vector, got an instant vector \(add a range/,
    ],
    ['sum(x[5m])', /sum\(\) expects an instant vector, got a range vector/],
    ['histogram_quantile(x)', /histogram_quantile\(\) takes 2 arguments, got 1/],
    ['x[5m] / 2', /binary operator needs numbers or instant vectors, got a range vector/],
    ['sum(x) or 1', /"or" works on instant vectors only/],
    ['topk(x)', /topk\(\) takes 2 arguments, got 1/],
    ['', /empty query/],
  ])('rejects %s', (query, message) => {
    const result = checkPromql(query);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((error) => error.message).join('\n')).toMatch(message);
  });

  it('formats an issue with a caret under its column', () => {
    const result = checkPromql('rate(x[2m]');
    if (result.ok) throw new Error('expected a failure');
    const [first] = result.errors;
    if (!first) throw new Error('expected an issue');
    expect(formatPromqlIssue('rate(x[2m]', first)).toBe(
      '1:11: unexpected end of query\n  rate(x[2m]\n            ^',
    );
  });
});

describe('metricNamesInQuery', () => {
  it('reads the series of a holt_winters call, not the function as a series', () => {
    expect(
      metricNamesInQuery('holt_winters(sum(rate(http_requests_total[1m]))[5m:5s], 0.5, 0.5)'),
    ).toEqual(['http_requests_total']);
  });

  it('lists each selected metric once, in order', () => {
    expect(
      metricNamesInQuery('rate(a_sum{pod="x"}[2m]) / rate(a_count[2m]) + on(pod) rate(a_sum[1m])'),
    ).toEqual(['a_sum', 'a_count']);
  });

  it('reads __name__ equality matchers and skips regex ones', () => {
    expect(metricNamesInQuery('{__name__="b", pod="x"} + {__name__=~"c.*"}')).toEqual(['b']);
  });
});
