import { describe, expect, it } from 'vitest';
import { compileGoRegexp, expandGoTemplate } from '../regexp/re2.js';
import {
  goQuote,
  renderExternalMetricsQuery,
  renderMetricsQuery,
  renderMetricsTemplate,
} from './render.js';
import { type AdapterRule, parseAdapterValues } from './rules.js';
import { compileRuleNamer, discoverMetrics, metricNameForSeries, seriesMatches } from './series.js';

// The reference guide's prometheus-adapter values (anchors/guide-config/adapter-values.yaml), verbatim.
const guideValues = `
rules:
  custom:
    - seriesQuery: 'inference_latency_seconds_sum{namespace!="",pod!=""}'
      resources:
        overrides:
          namespace: {resource: "namespace"}
          pod: {resource: "pod"}
      name:
        matches: "^(.*)_sum$"
        as: "inference_latency_seconds_avg"
      metricsQuery: 'rate(inference_latency_seconds_sum{<<.LabelMatchers>>}[2m]) / rate(inference_latency_seconds_count{<<.LabelMatchers>>}[2m])'
    - seriesQuery: 'request_queue_depth{namespace!="",pod!=""}'
      resources:
        overrides:
          namespace: {resource: "namespace"}
          pod: {resource: "pod"}
      name:
        matches: "^(.*)$"
        as: "\${1}"
      metricsQuery: '<<.Series>>{<<.LabelMatchers>>}'
    - seriesQuery: 'gpu_utilization_percent{namespace!="",pod!=""}'
      resources:
        overrides:
          namespace: {resource: "namespace"}
          pod: {resource: "pod"}
      name:
        matches: "^(.*)$"
        as: "\${1}"
      metricsQuery: '<<.Series>>{<<.LabelMatchers>>}'
`;

function guideRules(): readonly AdapterRule[] {
  const values = parseAdapterValues(guideValues);
  if (!values.ok) throw new Error(values.error);
  return values.value.custom;
}

function rule(partial: Partial<AdapterRule>): AdapterRule {
  return {
    seriesQuery: 'x{namespace!="",pod!=""}',
    seriesFilters: [],
    resources: { overrides: { namespace: { resource: 'namespace' }, pod: { resource: 'pod' } } },
    name: {},
    metricsQuery: '<<.Series>>{<<.LabelMatchers>>}',
    path: 'rules.custom[0]',
    ...partial,
  };
}

const scraped = { namespace: 'default', pod: 'model-server-0' };

describe('the guide rules', () => {
  it('discovers the metric names the guide HPA targets', () => {
    const series = [
      'inference_latency_seconds_sum',
      'inference_latency_seconds_count',
      'inference_latency_seconds_bucket',
      'request_queue_depth',
      'gpu_utilization_percent',
    ].map((name) => ({ name, labels: scraped }));
    const { metrics, errors } = discoverMetrics(guideRules(), series);
    expect(errors).toEqual([]);
    expect(metrics.map(({ metric, series: from }) => [metric, from])).toEqual([
      ['inference_latency_seconds_avg', 'inference_latency_seconds_sum'],
      ['request_queue_depth', 'request_queue_depth'],
      ['gpu_utilization_percent', 'gpu_utilization_percent'],
    ]);
  });

  it('finds nothing for series without the namespace/pod target labels', () => {
    const { metrics } = discoverMetrics(guideRules(), [
      { name: 'request_queue_depth', labels: {} },
    ]);
    expect(metrics).toEqual([]);
  });

  it('renders the mean latency query for several pods with a regex matcher', () => {
    const [latency] = guideRules();
    if (!latency) throw new Error('missing rule');
    expect(
      renderMetricsQuery(latency, {
        series: 'inference_latency_seconds_sum',
        namespace: 'default',
        names: ['model-server-a', 'model-server-b'],
      }),
    ).toEqual({
      ok: true,
      value:
        'rate(inference_latency_seconds_sum{namespace="default",pod=~"model-server-a|model-server-b"}[2m]) / rate(inference_latency_seconds_count{namespace="default",pod=~"model-server-a|model-server-b"}[2m])',
    });
  });

  it('renders the queue depth query for one pod with an equality matcher', () => {
    const queue = guideRules()[1];
    if (!queue) throw new Error('missing rule');
    expect(
      renderMetricsQuery(queue, { series: 'request_queue_depth', namespace: 'ml', names: ['p'] }),
    ).toEqual({ ok: true, value: 'request_queue_depth{namespace="ml",pod="p"}' });
  });
});

describe('naming', () => {
  it.each([
    [{ matches: '^(.*)_total$' }, 'http_requests_total', 'http_requests'],
    [
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a Go Expand template, not a JS one
      { matches: '^(.*)_total$', as: '${1}_per_second' },
      'http_requests_total',
      'http_requests_per_second',
    ],
    [{ matches: 'seconds_total' }, 'x_seconds_total', 'seconds_total'],
    [{}, 'anything', 'anything'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Go Expand template, not a JS one
    [{ matches: '^(?P<base>.*)_sum$', as: '${base}_avg' }, 'lat_sum', 'lat_avg'],
    [{ matches: '^(.*)$', as: '$1x' }, 'lat', ''],
    [{ matches: '^(.*)$', as: '$$1' }, 'lat', '$1'],
  ])('%j turns %s into %s', (name, series, expected) => {
    const namer = compileRuleNamer(rule({ name }));
    if (!namer.ok) throw new Error(namer.error);
    expect(metricNameForSeries(namer.value, series)).toBe(expected);
  });

  it('asks for "as" when the pattern has two capture groups', () => {
    const namer = compileRuleNamer(rule({ name: { matches: '^(a)(b)$' } }));
    expect(namer).toEqual({
      ok: false,
      error: `rules.custom[0]: must specify an 'as' value for name matcher "^(a)(b)$" (it has 2 capture groups)`,
    });
  });

  it('drops series that a seriesFilter rejects', () => {
    const namer = compileRuleNamer(rule({ seriesFilters: [{ isNot: '_bucket$' }] }));
    if (!namer.ok) throw new Error(namer.error);
    expect(metricNameForSeries(namer.value, 'x_bucket')).toBeUndefined();
    expect(metricNameForSeries(namer.value, 'x_sum')).toBe('x_sum');
  });

  it('expands Go templates as regexp.Expand does', () => {
    const re = compileGoRegexp('^(.*)_(sum)$');
    const match = re.ok ? re.value.exec('lat_sum') : undefined;
    if (!match) throw new Error('no match');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Go Expand template, not a JS one
    expect(expandGoTemplate('${1}-$2-${9}-$-${}', match)).toBe('lat-sum--$-${}');
  });
});

describe('series selectors', () => {
  it('evaluates anchored regex and not-equal matchers', () => {
    const series = {
      name: 'http_request_duration_seconds_sum',
      labels: { route: '/predict', pod: 'a' },
    };
    const matches = (selector: string) => {
      const r = discoverMetrics([rule({ seriesQuery: selector })], [series]);
      return r.metrics.length === 1;
    };
    expect(
      matches('http_request_duration_seconds_sum{route=~"/predict|/v2/models/:name/infer"}'),
    ).toBe(true);
    expect(matches('http_request_duration_seconds_sum{route=~"/pred"}')).toBe(false);
    expect(matches('{__name__=~"http_.*_sum",pod!=""}')).toBe(true);
    expect(matches('http_request_duration_seconds_sum{namespace!=""}')).toBe(false);
    expect(seriesMatches(series, [{ label: 'route', op: '!~', value: '/metrics' }])).toBe(true);
  });

  it('reports a seriesQuery that is not a selector', () => {
    const { errors } = discoverMetrics([rule({ seriesQuery: 'rate(x[1m])' })], []);
    expect(errors[0]).toMatch(
      /rules.custom\[0\]: seriesQuery "rate\(x\[1m\]\)" is not a series selector/,
    );
  });
});

describe('metricsQuery templates', () => {
  const args = {
    Series: 's',
    LabelMatchers: 'namespace="ns",pod=~"a|b"',
    LabelValuesByName: { pod: 'a|b', namespace: 'ns' },
    GroupBy: 'pod',
    GroupBySlice: ['pod'],
  };

  it('fills every field the adapter passes', () => {
    expect(
      renderMetricsTemplate(
        'sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>) <<.GroupBySlice>> <<index .LabelValuesByName "pod">> <<.LabelValuesByName>>',
        args,
      ),
    ).toEqual({
      ok: true,
      value: 'sum(s{namespace="ns",pod=~"a|b"}) by (pod) [pod] a|b map[namespace:ns pod:a|b]',
    });
  });

  it('trims around <<- and ->>', () => {
    expect(renderMetricsTemplate('a  <<- .Series ->>  b', args)).toEqual({
      ok: true,
      value: 'asb',
    });
  });

  it.each([
    ['<<.Nope>>', /action "<<.Nope>>" is not one the adapter supports/],
    ['x{<<.LabelMatchers}', /unclosed "<<"/],
    ['', /empty query/],
  ])('rejects %s', (template, message) => {
    const result = renderMetricsTemplate(template, args);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(message);
  });

  it('quotes label values as Go %q does', () => {
    expect(goQuote('a"b\\c\nd\u0001')).toBe('"a\\"b\\\\c\\nd\\x01"');
  });

  it('uses a resources.template label and says when no label maps to pods', () => {
    const templated = rule({ resources: { overrides: {}, template: 'kube_<<.Resource>>' } });
    expect(renderMetricsQuery(templated, { series: 'x', namespace: 'n', names: ['p'] })).toEqual({
      ok: true,
      value: 'x{kube_namespace="n",kube_pod="p"}',
    });
    const unmapped = rule({ resources: { overrides: { namespace: { resource: 'namespace' } } } });
    const result = renderMetricsQuery(unmapped, { series: 'x', namespace: 'n', names: ['p'] });
    expect(result).toMatchObject({ ok: false });
    if (!result.ok) expect(result.error).toMatch(/no label maps to the "pod" resource/);
  });
});

describe('parseAdapterValues', () => {
  it('fills in the chart defaults for the Prometheus address', () => {
    const values = parseAdapterValues('rules: {custom: []}');
    expect(values).toMatchObject({
      ok: true,
      value: { prometheusUrl: 'http://prometheus.default.svc', prometheusPort: 9090 },
    });
  });

  it.each([
    ['rules: {custom: [{metricsQuery: x}]}', /rules.custom\[0\]: seriesQuery is missing/],
    ['rules: {custom: {}}', /rules.custom must be a list/],
    ['rules: [', /not valid YAML/],
  ])('reports %s', (text, message) => {
    const values = parseAdapterValues(text);
    expect(values.ok).toBe(false);
    if (!values.ok) expect(values.error).toMatch(message);
  });
});

// Cases of prometheus-adapter's pkg/naming/metrics_query_test.go (TestBuildSelector), whose mock
// resource converter names each resource's label after the resource: here a resources.template.
describe('upstream TestBuildSelector cases', () => {
  const upstream = (metricsQuery: string) =>
    rule({ resources: { overrides: {}, template: '<<.Resource>>' }, metricsQuery });
  it.each([
    ['series', 'series <<.Series>>', ['bar'], 'series foo'],
    ['multiple LabelMatchers values', '<<.LabelMatchers>>', ['bar', 'baz'], 'resource=~"bar|baz"'],
    ['single LabelMatchers value', '<<.LabelMatchers>>', ['bar'], 'resource="bar"'],
    ['single LabelValuesByName value', '<<index .LabelValuesByName "resource">>', ['bar'], 'bar'],
    [
      'multiple LabelValuesByName values',
      '<<index .LabelValuesByName "resource">>',
      ['bar', 'baz'],
      'bar|baz',
    ],
    ['single GroupBy value', '<<.GroupBy>>', ['bar'], 'resource'],
    ['single GroupBySlice value', '<<.GroupBySlice>>', ['bar'], '[resource]'],
  ])('%s', (_name, template, names, expected) => {
    expect(
      renderMetricsQuery(upstream(template), {
        series: 'foo',
        namespace: '',
        names,
        resource: 'resource',
      }),
    ).toEqual({ ok: true, value: expected });
  });
});

// Cases of prometheus-adapter's pkg/naming/metrics_query_test.go (TestBuildExternalSelector),
// whose mock converter names the namespace label `namespaces`, and the selectors an HPA sends.
describe('upstream TestBuildExternalSelector cases, and External selectors', () => {
  const external = (metricsQuery: string, namespaced?: boolean) =>
    rule({
      resources: {
        overrides: {},
        template: '<<.Resource>>s',
        ...(namespaced === undefined ? {} : { namespaced }),
      },
      metricsQuery,
      path: 'rules.external[0]',
    });
  it.each([
    ['series', 'series <<.Series>>', '', undefined, 'series foo'],
    [
      'namespace in LabelValuesByName',
      '<<index .LabelValuesByName "namespaces">>',
      'default',
      undefined,
      'default',
    ],
    [
      'namespace disabled (resources.namespaced: false)',
      '<<index .LabelValuesByName "namespaces">>|<<.LabelMatchers>>',
      'default',
      false,
      '|foo="bar"',
    ],
    [
      'single LabelMatchers value with namespace',
      '<<.LabelMatchers>>',
      'default',
      undefined,
      'foo="bar",namespaces="default"',
    ],
  ] as const)('%s', (_name, template, namespace, namespaced, expected) => {
    expect(
      renderExternalMetricsQuery(external(template, namespaced), {
        series: 'foo',
        namespace,
        ...(template.includes('LabelMatchers')
          ? { selector: { matchLabels: { foo: 'bar' } } }
          : {}),
      }),
    ).toEqual({ ok: true, value: expected });
  });

  it('renders matchExpressions as the adapter does: sorted by key, one matcher each', () => {
    const rendered = renderExternalMetricsQuery(external('<<.LabelMatchers>>'), {
      series: 'queue_messages',
      namespace: 'ml',
      selector: {
        matchLabels: { queue: 'infer' },
        matchExpressions: [
          { key: 'zone', operator: 'In', values: ['b', 'a'] },
          { key: 'tier', operator: 'NotIn', values: ['batch'] },
          { key: 'env', operator: 'Exists' },
          { key: 'canary', operator: 'DoesNotExist', values: [] },
          { key: 'region', operator: 'In', values: ['eu'] },
        ],
      },
    });
    expect(rendered).toEqual({
      ok: true,
      value:
        'canary="",env!="",queue="infer",region=~"eu",tier!~"batch",zone=~"a|b",namespaces="ml"',
    });
    const byName = renderExternalMetricsQuery(
      external('<<index .LabelValuesByName "zone">> <<index .LabelValuesByName "env">>.'),
      {
        series: 'q',
        namespace: '',
        selector: {
          matchExpressions: [
            { key: 'zone', operator: 'In', values: ['b', 'a'] },
            { key: 'env', operator: 'Exists' },
          ],
        },
      },
    );
    expect(byName).toEqual({ ok: true, value: 'a|b .' });
  });

  it.each([
    [{ key: 'zone', operator: 'Gt', values: ['1'] }, /"Gt" is not a valid label selector operator/],
    [{ key: 'zone', operator: 'In', values: [] }, /values can't be empty/],
    [{ key: 'zone', operator: 'Exists', values: ['a'] }, /values must be empty/],
  ])('refuses an invalid requirement, saying which: %j', (expression, error) => {
    const rendered = renderExternalMetricsQuery(external('<<.LabelMatchers>>'), {
      series: 'q',
      namespace: 'ml',
      selector: { matchExpressions: [expression] },
    });
    expect(rendered.ok).toBe(false);
    if (!rendered.ok) expect(rendered.error).toMatch(error);
  });

  it('reads resources.namespaced from the values, and refuses one that is not a boolean', () => {
    const values = (namespaced: string) =>
      parseAdapterValues(
        `rules:\n  external:\n    - seriesQuery: 'q{queue!=""}'\n      resources: {namespaced: ${namespaced}}\n      metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>})'\n`,
      );
    const parsed = values('false');
    expect(parsed.ok && parsed.value.external[0]?.resources.namespaced).toBe(false);
    const wrong = values('"no"');
    expect(wrong.ok).toBe(false);
    if (!wrong.ok) expect(wrong.error).toContain('resources.namespaced must be true or false');
  });
});
