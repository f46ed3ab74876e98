import { describe, expect, it } from 'vitest';
import { readAdapterValues } from '../adapter/rules.js';
import { compileRuleNamer, metricNameForSeries, seriesMatches } from '../adapter/series.js';
import { compileGoRegexp, compileLabelMatcher, expandGoTemplate } from './re2.js';

function re(source: string) {
  const compiled = compileGoRegexp(source);
  if (!compiled.ok) throw new Error(compiled.error);
  return compiled.value;
}

function label(value: string) {
  const compiled = compileLabelMatcher(value);
  if (!compiled.ok) throw new Error(compiled.error);
  return compiled.value;
}

describe('RE2 syntax that a JavaScript RegExp gets wrong', () => {
  it('(?i) in the middle applies from there on', () => {
    expect(re('^foo(?i)bar$').test('fooBAR')).toBe(true);
    expect(re('^foo(?i)bar$').test('FOObar')).toBe(false);
  });

  it('(?i:...) applies to the group only', () => {
    expect(label('(?i:HTTP)_requests_total').test('Http_requests_total')).toBe(true);
    expect(label('(?i:HTTP)_requests_total').test('http_REQUESTS_total')).toBe(false);
  });

  it('[[:digit:]] is a POSIX class', () => {
    expect(label('pod-[[:digit:]]+').test('pod-12')).toBe(true);
    expect(label('pod-[[:digit:]]+').test('pod-1a')).toBe(false);
    expect(label('pod-[[:digit:]]+').test('pod-:')).toBe(false);
  });

  it('\\z is the end of the text', () => {
    expect(re('_total\\z').test('x_total')).toBe(true);
    expect(re('_total\\z').test('x_totalz')).toBe(false);
    expect(re('_total\\z').test('x_total\n')).toBe(false);
  });

  it('\\Q...\\E quotes literally', () => {
    expect(label('\\Q/v2/models/.*\\E').test('/v2/models/.*')).toBe(true);
    expect(label('\\Q/v2/models/.*\\E').test('/v2/models/resnet')).toBe(false);
  });

  it('(?U) makes repetition lazy; (?P<name>) names a group', () => {
    expect(re('(?U)^(.+)_').exec('a_b_c')?.captures[1]).toBe('a');
    expect(re('^(?P<base>.*)_total$').exec('requests_total')?.named.base).toBe('requests');
  });

  it('rejects what RE2 does not have, with the reason', () => {
    expect(compileGoRegexp('(a)\\1')).toMatchObject({ ok: false, error: /invalid regular/ });
    expect(compileGoRegexp('(?<!x)y')).toMatchObject({ ok: false });
    expect(compileLabelMatcher('a(')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^invalid regular expression "a\(": /),
    });
  });

  it('Prometheus matchers are anchored and let . match a newline', () => {
    expect(label('/pred').test('/predict')).toBe(false);
    expect(label('/predict|/v2/.*').test('/v2/models/m/infer')).toBe(true);
    expect(label('a.b').test('a\nb')).toBe(true);
    expect(
      seriesMatches({ name: 'x', labels: { route: '/PREDICT' } }, [
        { label: 'route', op: '=~', value: '(?i)/predict' },
      ]),
    ).toBe(true);
  });

  it('expands Go templates with named and numbered groups', () => {
    const match = re('^(?P<base>.*)_(sum)$').exec('lat_sum');
    if (!match) throw new Error('no match');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Go Expand template, not a JS one
    expect(expandGoTemplate('$base/${2}/$$/$3/${base}x', match)).toBe('lat/sum/$//latx');
  });
});

// prometheus-adapter's own naming examples: docs/config.md, docs/config-walkthrough.md, README.md,
// the defaults of cmd/config-gen (utils/default.go) and pkg/naming/regex_matcher_test.go.
function namer(rule: Record<string, unknown>) {
  const values = readAdapterValues({
    rules: { custom: [{ seriesQuery: '{__name__=~".+"}', metricsQuery: 'x', ...rule }] },
  });
  if (!values.ok) throw new Error(values.error);
  const rules = values.value.custom;
  const compiled = compileRuleNamer(rules[0] as (typeof rules)[number]);
  if (!compiled.ok) throw new Error(compiled.error);
  return (series: string) => metricNameForSeries(compiled.value, series);
}

// biome-ignore lint/suspicious/noTemplateCurlyInString: a Go Expand template, not a JS one
const perSecond = '${1}_per_second';

describe("prometheus-adapter's name.matches examples", () => {
  it('docs/config.md: ^(.*)_total$ as <1>_per_second', () => {
    const name = namer({ name: { matches: '^(.*)_total$', as: perSecond } });
    expect(name('http_requests_total')).toBe('http_requests_per_second');
    expect(name('http_requests')).toBeUndefined();
  });

  it('docs/config-walkthrough.md: ^(.*)_total (unanchored end) takes the leftmost match', () => {
    const name = namer({ name: { matches: '^(.*)_total', as: perSecond } });
    expect(name('http_requests_total')).toBe('http_requests_per_second');
    expect(name('a_total_b')).toBe('a_per_second');
  });

  it("README.md: a pattern without groups defaults 'as' to $0", () => {
    const name = namer({ name: { matches: 'foo_total' } });
    expect(name('foo_total')).toBe('foo_total');
    expect(name('bar_total')).toBeUndefined();
  });

  it('config-gen defaults: container seconds, rates, and filters', () => {
    const seconds = namer({ name: { matches: '^container_(.*)_seconds_total$' } });
    expect(seconds('container_cpu_usage_seconds_total')).toBe('cpu_usage');
    const rates = namer({
      name: { matches: '^container_(.*)_total$' },
      seriesFilters: [{ isNot: '^container_.*_seconds_total$' }],
    });
    expect(rates('container_network_receive_bytes_total')).toBe('network_receive_bytes');
    expect(rates('container_cpu_usage_seconds_total')).toBeUndefined();
    const gauges = namer({ seriesFilters: [{ isNot: '.*_total$' }] });
    expect(gauges('memory_bytes')).toBe('memory_bytes');
    expect(gauges('requests_total')).toBeUndefined();
    const plain = namer({
      name: { matches: '^(.*)_total$' },
      seriesFilters: [{ isNot: '.*_seconds_total' }],
    });
    expect(plain('requests_total')).toBe('requests');
    expect(plain('cpu_seconds_total')).toBeUndefined();
  });

  it('regex_matcher_test.go: is / isNot are unanchored MatchString', () => {
    const is = namer({ seriesFilters: [{ is: 'my_.*' }] });
    expect(is('my_label')).toBe('my_label');
    expect(is('your_label')).toBeUndefined();
    expect(is('not_my_label')).toBe('not_my_label');
    const isNot = namer({ seriesFilters: [{ isNot: 'my_.*' }] });
    expect(isNot('my_label')).toBeUndefined();
    expect(isNot('your_label')).toBe('your_label');
  });
});
