/**
 * The charts say what they draw (checked by rendering them to PNG and looking, then pinned here):
 * no text crossed by a marker, no reference label in a panel's title row, an "above the axis" note
 * only for a line that is not drawn, a capacity chart whose region under the SLO is readable, and
 * every saturated step explained.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { logTicks, renderCapacitySvg } from '../calibrate/chart.js';
import { measureStep } from '../calibrate/ramp.js';
import { formatStepLine } from '../calibrate/report.js';
import type { CapacityProfile } from '../capacity/profile.js';
import { summarizeProfile } from '../cli/calibrate.js';
import type { RequestResult } from '../load/open-loop.js';
import { renderChart } from './chart.js';

const example = JSON.parse(
  readFileSync(
    new URL('../../examples/capacity/emulated-pod.profile.json', import.meta.url),
    'utf8',
  ),
) as CapacityProfile;

function attr(element: string, name: string): number {
  return Number(new RegExp(`${name}="([-\\d.]+)"`).exec(element)?.[1]);
}

const spec = {
  title: 't',
  xLabel: 'x',
  x0: 0,
  x1: 100,
  markers: [{ x: 50, label: 'load step' }],
  legend: [],
  panels: [
    {
      title: 'replicas',
      integer: true,
      yMax: 5,
      lines: [
        { label: 'a', color: '#00f', dash: '', points: [[0, 2] as const, [100, 4] as const] },
      ],
      references: [
        { y: 5, label: 'max 5 (a)' },
        { y: 10, label: 'max 10 (b)' },
      ],
    },
    {
      title: 'depth per pod',
      lines: [
        { label: 'a', color: '#00f', dash: '', points: [[0, 1] as const, [100, 3] as const] },
      ],
    },
  ],
};

describe('the simulate chart', () => {
  const svg = renderChart(spec);
  const panels = [
    ...svg.matchAll(/<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)" fill="none"/g),
  ].map((m) => ({ top: Number(m[1]), bottom: Number(m[1]) + Number(m[2]) }));

  it('draws a marker inside each panel, never across the titles between them', () => {
    const markers = [...svg.matchAll(/<line [^>]*stroke-dasharray="4 3"\/>/g)].map((m) => m[0]);
    expect(markers).toHaveLength(panels.length);
    for (const line of markers) {
      const [y1, y2] = [attr(line, 'y1'), attr(line, 'y2')];
      expect(panels.some((p) => p.top === y1 && p.bottom === y2)).toBe(true);
    }
  });

  it('puts a label of a line at the top of a panel below it, out of the title row', () => {
    const label = /<text x="[\d.]+" y="([\d.]+)"[^>]*>max 5 \(a\)<\/text>/.exec(svg);
    expect(label).not.toBeNull();
    expect(Number(label?.[1])).toBeGreaterThan((panels[0]?.top ?? 0) + 10);
  });

  it('says "above the axis" for the line it does not draw, and only for it', () => {
    expect(svg).toContain('replicas (max 10 (b): above the axis, not drawn)');
    expect(svg).not.toMatch(/max 5 \(a\)[^<]*above the axis/);
  });
});

describe('the capacity chart', () => {
  it('gives the region under the SLO a readable share of the latency panel (log axis)', () => {
    const svg = renderCapacitySvg(example, { slo: { statistic: 'p95', seconds: 0.2 } });
    const slo = /<line [^>]*stroke="#c00"[^>]*\/>/.exec(svg)?.[0] ?? '';
    // The latency panel: top 48, height 230. On a linear axis to 5000 ms the SLO sat 4 % up.
    const share = (48 + 230 - attr(slo, 'y1')) / 230;
    expect(share).toBeGreaterThan(0.3);
    expect(svg).toContain('latency (ms, log scale)');
    expect(logTicks(20, 3000)).toEqual([20, 50, 100, 200, 500, 1000, 2000, 5000]);
  });

  it('draws saturated steps hollow and says why each is saturated, also one that meets the SLO', () => {
    const profile: CapacityProfile = structuredClone(example);
    const knee = profile.steps[6];
    if (!knee) throw new Error('fixture');
    knee.saturated = true;
    knee.saturatedBecause = 'latency was still growing at the end of the window';
    const svg = renderCapacitySvg(profile, { slo: { statistic: 'p95', seconds: 0.2 } });
    expect(svg).toContain(
      '350 req/s: saturated, although p95 80 ms meets the SLO: latency was still growing at the end of the window',
    );
    expect(svg).toContain('hollow points: saturated steps');
    expect(svg.match(/fill="#fff" stroke=/g)?.length).toBeGreaterThanOrEqual(3 * 4);
  });

  it('gets the reason from the measurement', () => {
    const server = {
      meanQueueDepth: null,
      meanWaitSeconds: null,
      meanBatchSize: null,
      meanInferenceSeconds: null,
    };
    const result = (intendedMs: number, latencyMs: number): RequestResult => ({
      intendedMs,
      sentMs: intendedMs,
      doneMs: intendedMs + latencyMs,
      latencyMs,
      status: 200,
      target: 'x',
    });
    const growing = Array.from({ length: 100 }, (_, i) => result(i * 10, 20 + i * 5));
    const step = measureStep(100, { fromMs: 0, toMs: 1000 }, growing, server);
    expect(step.saturated).toBe(true);
    expect(step.saturatedBecause).toContain('latency was still growing');
    const steady = Array.from({ length: 100 }, (_, i) => result(i * 10, 20));
    expect(
      measureStep(100, { fromMs: 0, toMs: 1000 }, steady, server).saturatedBecause,
    ).toBeUndefined();
  });

  it('prints the reason in the text output too, not only in the profile', () => {
    const profile: CapacityProfile = structuredClone(example);
    const knee = profile.steps.find((s) => s.offeredRps === profile.saturationRps);
    if (!knee) throw new Error('fixture');
    knee.saturatedBecause = 'answered 85 % of the requests that arrived (under 90 %)';
    expect(summarizeProfile(profile)).toContain(
      'saturated at 400 req/s because answered 85 % of the requests that arrived (under 90 %)',
    );
    expect(formatStepLine(knee)).toContain('SATURATED (answered 85 %');
  });
});
