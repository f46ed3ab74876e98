import { readFileSync } from 'node:fs';
import type { HorizontalPodAutoscaler } from '@mlscale/hpa';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { blockedBy, blockedStretches } from './blocked.js';
import { niceStep, renderChart, ticksBetween } from './chart.js';
import { defaultChartMetrics, formatSummaryTable, renderSvgChart } from './report.js';
import { simulate } from './simulate.js';
import { parseTraceCsv } from './trace.js';

const guide = parse(
  readFileSync(new URL('../../examples/guide-hpa.yaml', import.meta.url), 'utf8'),
) as HorizontalPodAutoscaler;
const depthOnly: HorizontalPodAutoscaler = {
  spec: { ...guide.spec, metrics: guide.spec.metrics?.slice(1) ?? [] },
};

/** Load from 60 to 180 s, then idle: the guide's latency has no value while idle (an empty cell). */
function idleAfterLoad(): string {
  const rows = ['time,replicas,load,request_queue_depth,each:inference_latency_seconds_avg'];
  for (let t = 0; t <= 900; t += 5) {
    const loaded = t >= 60 && t < 180;
    rows.push(`${t},2,${loaded ? 50 : 0},${loaded ? 25 : 0},${loaded ? 0.005 : ''}`);
  }
  return rows.join('\n');
}

describe('chart axes', () => {
  it('puts ticks on round values, 0 included', () => {
    expect(niceStep(600, 10, true)).toBe(60);
    expect(niceStep(95, 10, true)).toBe(10);
    expect(niceStep(0.8, 5)).toBe(0.2);
    expect(ticksBetween(-10, 565, 60)).toEqual([0, 60, 120, 180, 240, 300, 360, 420, 480, 540]);
  });

  it('offsets and dashes configs so coinciding lines stay visible', () => {
    const same = [
      [0, 2],
      [10, 4],
    ] as const;
    const svg = renderChart({
      title: 'a & b',
      xLabel: 'x',
      x0: 0,
      x1: 10,
      panels: [
        {
          title: 'p',
          integer: true,
          lines: [
            { label: 'a', color: 'red', dash: '', points: same, offsetPx: -1.25, step: true },
            { label: 'b', color: 'blue', dash: '8 4', points: same, offsetPx: 1.25, step: true },
          ],
        },
      ],
      legend: [],
    });
    const paths = [...svg.matchAll(/<path d="([^"]+)"/g)].map((m) => m[1]);
    expect(paths).toHaveLength(2);
    expect(paths[0]).not.toBe(paths[1]);
    expect(svg).toContain('stroke-dasharray="8 4"');
    // a title element, escaped, for screen readers (tune.svg and simulate --svg are written with it)
    expect(svg).toMatch(/^<svg [^>]+>\n<title>a &#38; b<\/title>\n/);
  });
});

describe('replay chart and table', () => {
  const trace = parseTraceCsv(idleAfterLoad());
  const report = simulate(trace, [
    { name: 'guide', hpa: guide },
    { name: 'depth only', hpa: depthOnly },
  ]);

  it("notes that the guide's HPA is blocked from scaling down by its NaN latency", () => {
    const [g, d] = report.results.map((r) => r.summary);
    expect(g?.blocked).toEqual([
      expect.objectContaining({ direction: 'down', metrics: ['inference_latency_seconds_avg'] }),
    ]);
    expect(g?.finalReplicas).toBeGreaterThan(2);
    expect(d?.blocked).toEqual([]);
    expect(d?.finalReplicas).toBe(2);
    const table = formatSummaryTable(report);
    expect(table).toMatch(/^guide .*scale-down \d+ s \(inference_latency_seconds_avg\)$/m);
    expect(table).toContain('guide: blocked from scaling down for');
    expect(renderSvgChart(report)).toContain('guide: blocked from scaling down for');
    // at minReplicas there is no scale-down to block: the idle start is not a block
    const first = report.results[0]?.timeline[0]?.decision;
    if (!first) throw new Error('no decision');
    expect(first.currentReplicas).toBe(2);
    expect(blockedBy(first, 2)).toBeUndefined();
    expect(blockedBy(first, 1)).toEqual({
      direction: 'down',
      metrics: ['inference_latency_seconds_avg'],
    });
    // one shaded stretch, from the first blocked sync after the load to the end
    const stretches = blockedStretches(
      report.results[0]?.timeline.map((e) => e.decision) ?? [],
      15,
      2,
    );
    expect(stretches).toHaveLength(1);
    expect(stretches[0]?.from).toBe(180);
    expect(renderSvgChart(report)).toContain('>cannot scale down<');
  });

  it('shows the metric that drove the decisions with its target, and the replicas to the peak', () => {
    expect(defaultChartMetrics(report)).toEqual(['request_queue_depth']);
    const svg = renderSvgChart(report);
    expect(svg).toContain('request_queue_depth per pod: drove guide, depth only');
    // one target line for both (same value), labelled once
    expect(svg.match(/>target 10</g)).toHaveLength(1);
    const peak = Math.max(...report.results.map((r) => r.summary.maxReplicas));
    // integer ticks up to peak + 1, no further
    expect(svg).toContain(`>${peak + 1}</text>`);
    expect(svg).not.toContain(`>${peak + 2}</text>`);
    expect(svg.match(/>min 2</g)).toHaveLength(1);
  });
});
