import { readFileSync } from 'node:fs';
import type { HorizontalPodAutoscaler } from '@mlscale/hpa';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { formatPhaseTable, formatSummaryTable, formatTimeline, renderSvgChart } from './report.js';
import { detectLoadStep, simulate, sweepSyncPhases } from './simulate.js';
import { formatTraceCsv, parseTraceCsv, traceFromMatrices } from './trace.js';

const guide = parse(
  readFileSync(new URL('../../examples/guide-hpa.yaml', import.meta.url), 'utf8'),
) as HorizontalPodAutoscaler;

function stepTrace(): string {
  const rows = ['time,replicas,load,request_queue_depth,each:inference_latency_seconds_avg'];
  for (let t = 0; t <= 900; t += 5) {
    const loaded = t >= 60 && t < 360;
    rows.push(`${t},2,${loaded ? 50 : 1},${loaded ? 25 : 0.5},0.005`);
  }
  return rows.join('\n');
}

describe('trace CSV', () => {
  it('parses metrics, intensive columns, replicas and load', () => {
    const trace = parseTraceCsv('# comment\ntime,replicas,load,q,each:lat\n0,2,1,3,0.1\n5,2,,4,\n');
    expect(trace.metrics).toEqual(['q', 'lat']);
    expect([...trace.intensive]).toEqual(['lat']);
    expect(trace.points).toEqual([
      { time: 0, replicas: 2, load: 1, values: { q: 3, lat: 0.1 } },
      { time: 5, replicas: 2, values: { q: 4 } },
    ]);
    expect(parseTraceCsv(formatTraceCsv(trace))).toEqual(trace);
  });
  it('rejects bad input with the line and column', () => {
    expect(() => parseTraceCsv('')).toThrow(/empty/);
    expect(() => parseTraceCsv('t,q\n0,1')).toThrow(/first column must be "time"/);
    expect(() => parseTraceCsv('time,q\n0,abc')).toThrow(
      'trace CSV line 2, column "q": "abc" is not a number',
    );
  });
  it('builds a trace from per-pod range series', () => {
    const trace = traceFromMatrices({
      q: [
        {
          metric: { pod: 'a' },
          values: [
            [0, 2],
            [15, 4],
          ],
        },
        { metric: { pod: 'b' }, values: [[0, 4]] },
      ],
    });
    expect(trace.points).toEqual([
      { time: 0, replicas: 2, values: { q: 3 } },
      { time: 15, replicas: 1, values: { q: 4 } },
    ]);
  });
});

describe('simulate', () => {
  const trace = parseTraceCsv(stepTrace());
  const fast: HorizontalPodAutoscaler = {
    spec: {
      ...guide.spec,
      behavior: {
        scaleUp: {
          stabilizationWindowSeconds: 0,
          policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }],
        },
      },
    },
  };

  it('finds the load step from the load column', () => {
    expect(detectLoadStep(trace)).toBe(60);
  });

  it('replays the trace: the per-pod queue depth is shared by the ready pods', () => {
    const report = simulate(trace, [{ name: 'guide', hpa: guide }], { startupDelaySeconds: 30 });
    const { summary, timeline } = report.results[0] ?? { summary: undefined, timeline: [] };
    // load step at 60: at t=75 the 30 s window holds only recommendations strictly after t=45,
    // all of them loaded, so the guide config scales at its second loaded sync
    expect(summary?.timeToFirstScaleUp).toBe(15);
    const at = (t: number) => timeline.find((e) => e.time === t);
    expect(at(90)).toMatchObject({ replicas: 4, ready: 2, perPod: { request_queue_depth: 25 } });
    // the two new pods are ready 30 s later and take their share: 50 / 4
    expect(at(120)?.perPod.request_queue_depth).toBe(12.5);
    expect(summary?.maxReplicas).toBeGreaterThan(4);
    // comes back to min after the load, one pod per 120 s after the 300 s window
    expect(summary?.finalReplicas).toBe(2);
    expect(summary?.timeAboveLatencyTarget).toBe(0);
  });

  it('sweeps every sync phase: with no stabilization the first scale-up is the next sync', () => {
    const [phases] = sweepSyncPhases(trace, [{ name: 'fast', hpa: fast }]);
    // The step is at t=60; the first sync is at offset o = 0 … 14, so the next sync after the
    // step comes 0 … 14 s after it.
    expect(phases).toMatchObject({
      name: 'fast',
      phases: 15,
      neverScaledUp: 0,
      firstScaleUp: { mean: 7, median: 7, min: 0, max: 14 },
    });
    expect(formatPhaseTable(sweepSyncPhases(trace, [{ name: 'fast', hpa: fast }]))).toMatch(
      /^fast {2,}7\.0 s {2,}7 s {2,}0-14 s {2,}0\/15/m,
    );
  });

  it('compares configs on the same trace', () => {
    const report = simulate(trace, [
      { name: 'guide', hpa: guide },
      { name: 'fast', hpa: fast },
    ]);
    const [g, f] = report.results.map((r) => r.summary);
    expect(f?.timeToFirstScaleUp).toBeLessThan(g?.timeToFirstScaleUp ?? 0);
    expect(formatSummaryTable(report).split('\n')[0]).toMatch(
      /^config\s+first scale-up after step/,
    );
    // Trace time from its start, as the header's load step (t=60s) is.
    expect(formatTimeline(report)).toContain('guide  t=75s  2 → 4');
    const svg = renderSvgChart(report, { metric: 'request_queue_depth' });
    expect(svg.startsWith('<svg')).toBe(true);
    // two configs in two panels (replicas, the metric), the second config dashed
    expect(svg.match(/<path /g)).toHaveLength(4);
    expect(svg.match(/<path [^>]*stroke-dasharray="8 4"/g)).toHaveLength(2);
    expect(svg).toContain('>fast<');
  });

  it('says which metric a config needs that the trace lacks', () => {
    expect(() =>
      simulate(parseTraceCsv('time,other\n0,1'), [{ name: 'guide', hpa: guide }]),
    ).toThrow(
      /guide: the HPA scales on "inference_latency_seconds_avg" but the trace has no such column/,
    );
  });
});
