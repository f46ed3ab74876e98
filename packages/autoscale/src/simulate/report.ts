/**
 * Renderings of a simulation: a plain-text table and an SVG line chart (written by hand, no
 * dependencies).
 */
import type { PhaseSummary, SimulationReport } from './simulate.js';

function seconds(value: number | undefined): string {
  return value === undefined ? 'never' : `${Math.round(value)} s`;
}

/**
 * The figures of every config as an aligned text table.
 *
 * @param report - a simulation report
 * @returns the table, one row per config
 * @example
 * console.log(formatSummaryTable(report));
 */
export function formatSummaryTable(report: SimulationReport): string {
  const header = [
    'config',
    'first scale-up after step',
    'replica-seconds',
    'scale events',
    report.latency
      ? `time ${report.latency.metric} > ${report.latency.target}`
      : 'time above latency target',
    'max replicas',
  ];
  const rows = report.results.map(({ summary }) => [
    summary.name,
    seconds(summary.timeToFirstScaleUp),
    String(Math.round(summary.replicaSeconds)),
    String(summary.scaleEvents),
    summary.timeAboveLatencyTarget === undefined ? 'n/a' : seconds(summary.timeAboveLatencyTarget),
    String(summary.maxReplicas),
  ]);
  return formatTable(header, rows);
}

/**
 * The figures of {@link sweepSyncPhases} as a text table: the first scale-up's mean, median and
 * range over every sync phase, the scale events' range, and the mean replica-seconds.
 *
 * @param phases - from `sweepSyncPhases`
 * @returns the table
 * @example
 * console.log(formatPhaseTable(sweepSyncPhases(trace, configs)));
 */
export function formatPhaseTable(phases: readonly PhaseSummary[]): string {
  const header = [
    'config',
    'first scale-up: mean',
    'median',
    'min-max',
    'never',
    'scale events',
    'replica-seconds (mean)',
  ];
  const rows = phases.map((p) => [
    p.name,
    p.firstScaleUp ? `${p.firstScaleUp.mean.toFixed(1)} s` : 'never',
    p.firstScaleUp ? seconds(p.firstScaleUp.median) : '-',
    p.firstScaleUp ? `${p.firstScaleUp.min}-${p.firstScaleUp.max} s` : '-',
    `${p.neverScaledUp}/${p.phases}`,
    p.scaleEvents.min === p.scaleEvents.max
      ? String(p.scaleEvents.min)
      : `${p.scaleEvents.min}-${p.scaleEvents.max}`,
    String(Math.round(p.replicaSeconds)),
  ]);
  return formatTable(header, rows);
}

/**
 * The replica timeline of each config as text, one line per sync that changed something.
 *
 * @param report - a simulation report
 * @returns lines such as `guide   t=75s  2 → 4  proposal 8 (...)`
 * @example
 * console.log(formatTimeline(report));
 */
export function formatTimeline(report: SimulationReport): string {
  const lines: string[] = [];
  for (const { summary, timeline } of report.results) {
    for (const entry of timeline) {
      if (!entry.decision.scaled) continue;
      lines.push(
        `${summary.name}  t=${Math.round(entry.time - report.stepAt)}s  ${entry.decision.currentReplicas} → ${entry.replicas}  ${entry.explanation}`,
      );
    }
  }
  return lines.join('\n');
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

/**
 * An SVG chart: replicas over time (top) and the chosen metric per pod (bottom), one line per
 * config, with the load step marked.
 *
 * @param report - a simulation report
 * @param options - which metric to plot below (default the latency metric, else the first one) and a title
 * @returns the SVG document as a string
 * @example
 * writeFileSync('sim.svg', renderSvgChart(report));
 */
export function renderSvgChart(
  report: SimulationReport,
  options: { metric?: string; title?: string } = {},
): string {
  const panelHeight = 200;
  const left = 60;
  const plotWidth = 660;
  // The legend sits right of the plots, as wide as its longest label (about 7 px a character).
  const longest = Math.max(...report.results.map((r) => r.summary.name.length), 20);
  const right = 50 + longest * 7;
  const width = left + plotWidth + right;
  const top = 40;
  const gap = 50;
  const height = top + panelHeight * 2 + gap + 50;
  const all = report.results.flatMap((r) => r.timeline);
  const t0 = Math.min(...all.map((e) => e.time));
  const t1 = Math.max(...all.map((e) => e.time), t0 + 1);
  const metric =
    options.metric ?? report.latency?.metric ?? Object.keys(all[0]?.perPod ?? {})[0] ?? '';
  // Whole replica counts on the axis: four ticks, with head-room above the highest count.
  const maxReplicas = 4 * Math.ceil((Math.max(...all.map((e) => e.replicas), 1) + 1) / 4);
  const maxMetric = niceMax(
    Math.max(...all.map((e) => e.perPod[metric] ?? 0), report.latency?.target ?? 0),
  );
  const x = (t: number) => left + ((t - t0) / (t1 - t0)) * plotWidth;
  const yTop = (v: number) => top + panelHeight - (v / maxReplicas) * panelHeight;
  const yBottom = (v: number) =>
    top + panelHeight + gap + panelHeight - (v / maxMetric) * panelHeight;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="20" font-size="15" font-weight="bold">${escapeXml(options.title ?? 'mlscale simulate: replicas and metric over time')}</text>`,
  );
  // axes and grid
  for (const [y0, max, label, y] of [
    [top, maxReplicas, 'replicas', yTop],
    [top + panelHeight + gap, maxMetric, `${metric} per pod`, yBottom],
  ] as const) {
    parts.push(
      `<rect x="${left}" y="${y0}" width="${plotWidth}" height="${panelHeight}" fill="none" stroke="#999"/>`,
    );
    for (let i = 0; i <= 4; i++) {
      const v = (max * i) / 4;
      const yy = y(v);
      parts.push(
        `<line x1="${left}" x2="${left + plotWidth}" y1="${yy.toFixed(1)}" y2="${yy.toFixed(1)}" stroke="#eee"/>`,
        `<text x="${left - 6}" y="${(yy + 4).toFixed(1)}" text-anchor="end">${Number(v.toPrecision(3))}</text>`,
      );
    }
    parts.push(`<text x="${left}" y="${y0 - 6}" fill="#444">${escapeXml(label)}</text>`);
  }
  for (let i = 0; i <= 6; i++) {
    const t = t0 + ((t1 - t0) * i) / 6;
    parts.push(
      `<text x="${x(t).toFixed(1)}" y="${top + panelHeight * 2 + gap + 16}" text-anchor="middle">${Math.round(t - report.stepAt)} s</text>`,
    );
  }
  parts.push(
    `<text x="${left + plotWidth / 2}" y="${height - 8}" text-anchor="middle" fill="#444">seconds from the load step</text>`,
  );
  // load step marker
  const xs = x(report.stepAt).toFixed(1);
  parts.push(
    `<line x1="${xs}" x2="${xs}" y1="${top}" y2="${top + panelHeight * 2 + gap}" stroke="#888" stroke-dasharray="4 3"/>`,
    `<text x="${Number(xs) + 4}" y="${top + 14}" fill="#888">load step</text>`,
  );
  if (report.latency && report.latency.metric === metric) {
    const yt = yBottom(report.latency.target).toFixed(1);
    parts.push(
      `<line x1="${left}" x2="${left + plotWidth}" y1="${yt}" y2="${yt}" stroke="#888" stroke-dasharray="2 2"/>`,
      `<text x="${left + plotWidth - 4}" y="${Number(yt) - 4}" text-anchor="end" fill="#888">target ${report.latency.target}</text>`,
    );
  }
  report.results.forEach(({ summary, timeline }, i) => {
    const color = COLORS[i % COLORS.length];
    // replicas as a step line
    const steps: string[] = [];
    timeline.forEach((e, j) => {
      const px = x(e.time).toFixed(1);
      if (j === 0) steps.push(`M${px},${yTop(e.replicas).toFixed(1)}`);
      else {
        steps.push(`L${px},${yTop(timeline[j - 1]?.replicas ?? e.replicas).toFixed(1)}`);
        steps.push(`L${px},${yTop(e.replicas).toFixed(1)}`);
      }
    });
    parts.push(`<path d="${steps.join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`);
    const metricPoints = timeline
      .filter((e) => e.perPod[metric] !== undefined)
      .map((e) => `${x(e.time).toFixed(1)},${yBottom(e.perPod[metric] as number).toFixed(1)}`);
    if (metricPoints.length > 0) {
      parts.push(
        `<polyline points="${metricPoints.join(' ')}" fill="none" stroke="${color}" stroke-width="1.5"/>`,
      );
    }
    const ly = top + 10 + i * 34;
    parts.push(
      `<line x1="${width - right + 15}" x2="${width - right + 35}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="3"/>`,
      `<text x="${width - right + 40}" y="${ly + 4}">${escapeXml(summary.name)}</text>`,
      `<text x="${width - right + 40}" y="${ly + 18}" fill="#666" font-size="11">${escapeXml(`up after ${seconds(summary.timeToFirstScaleUp)}, ${summary.scaleEvents} events`)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** Columns padded to their widest cell, a dashed rule under the header. */
function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
