/**
 * The capacity chart: latency (p50, p95, p99) and the pod's mean queue depth against the arrival
 * rate, one point per ramp step. Hand-written SVG, like the simulate chart: no dependencies.
 *
 * Latency is on a log axis: past saturation it grows a hundredfold, and on a linear axis the
 * region that matters (below the SLO) would be squashed into the bottom few pixels. Saturated steps
 * are hollow points, each with why it was called saturated under the chart.
 */
import type { CapacityProfile } from '../capacity/profile.js';
import { formatSlo, type LatencySlo } from '../capacity/slo.js';
import { escapeXml, roundStep } from '../simulate/chart.js';

const WIDTH = 900;
const LEFT = 70;
const RIGHT = 24;
const PANEL = { latency: { top: 48, height: 230 }, depth: { top: 330, height: 140 } };
/** Height up to the x axis title; notes go below. */
const BODY = 520;
const NOTE_LINE = 16;
const COLORS = { p50: '#1b9e77', p95: '#d95f02', p99: '#7570b3', depth: '#1f78b4' };

/** Round tick values covering [0, max]: steps of 1, 2 or 5 × 10^k, about `count` of them. */
export function roundTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const step = roundStep(max / count, [1, 2, 5, 10]);
  const ticks: number[] = [];
  // Up to the first tick at or above max, so the axis always covers the data.
  for (let i = 0; ; i++) {
    const v = Number((i * step).toPrecision(12));
    ticks.push(v);
    if (v >= max) return ticks;
  }
}

/**
 * Log-scale ticks covering [lo, hi]: 1, 2 and 5 × 10^k.
 *
 * @example logTicks(20, 3000); // [20, 50, 100, 200, 500, 1000, 2000, 5000]
 */
export function logTicks(lo: number, hi: number): number[] {
  const all: number[] = [];
  for (let decade = 10 ** Math.floor(Math.log10(lo)); ; decade *= 10) {
    for (const m of [1, 2, 5]) all.push(Number((m * decade).toPrecision(12)));
    if ((all.at(-1) as number) >= hi) break;
  }
  // From the last tick at or below lo to the first at or above hi.
  const first = all.findLastIndex((t) => t <= lo);
  const last = all.findIndex((t) => t >= hi);
  return all.slice(Math.max(0, first), last + 1);
}

function polyline(
  points: [number, number][],
  color: string,
  dash = '',
  hollow: readonly boolean[] = [],
): string {
  if (points.length === 0) return '';
  const d = points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
  const dots = points
    .map(([x, y], i) =>
      hollow[i]
        ? `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3.5" fill="#fff" stroke="${color}" stroke-width="1.5"/>`
        : `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3" fill="${color}"/>`,
    )
    .join('');
  return `<polyline fill="none" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''} points="${d}"/>${dots}`;
}

/** The lines under the chart: what hollow points are, and why each saturated step is one. */
function noteLines(profile: CapacityProfile, slo: LatencySlo | undefined): string[] {
  const saturated = profile.steps.filter((s) => s.saturated);
  if (saturated.length === 0) {
    return ['no step saturated the pod: its capacity is above the highest rate measured'];
  }
  return [
    'hollow points: saturated steps (the pod did not keep up there)',
    ...saturated.map((s) => {
      const meets =
        slo !== undefined && s.latency[slo.statistic] <= slo.seconds
          ? `, although ${slo.statistic} ${Math.round(s.latency[slo.statistic] * 1000)} ms meets the SLO`
          : '';
      return `${s.offeredRps} req/s: saturated${meets}: ${s.saturatedBecause ?? 'the profile does not say why'}`;
    }),
  ];
}

/**
 * Renders a profile as an SVG chart.
 *
 * @param profile - from `mlscale calibrate`
 * @param options - an objective to draw as a line, and a title
 * @returns the SVG document
 * @example
 * writeFileSync('capacity.svg', renderCapacitySvg(profile, { slo: { statistic: 'p95', seconds: 0.2 } }));
 */
export function renderCapacitySvg(
  profile: CapacityProfile,
  options: { slo?: LatencySlo; title?: string } = {},
): string {
  const scales = capacityScales(profile, options.slo);
  const notes = noteLines(profile, options.slo);
  const HEIGHT = BODY + (notes.length > 0 ? 8 + notes.length * NOTE_LINE : 0);
  const title =
    options.title ??
    `Capacity of ${profile.target.url}${profile.target.emulatedDevice ? ` (emulated device: ${profile.target.emulatedDevice.batchMs} ms/batch + ${profile.target.emulatedDevice.rowMs} ms/row)` : ''}`;
  const parts: string[] = [
    svgText(LEFT, 24, title, ' font-size="14" font-weight="bold"'),
    ...capacityAxes(scales),
    ...sloAndSaturation(profile, scales, options.slo),
  ];
  const curves = capacityCurves(profile.steps, scales);
  parts.push(...curves.lines);
  notes.forEach((note, i) => {
    parts.push(
      svgText(LEFT, BODY + 8 + (i + 1) * NOTE_LINE - 4, note, ' font-size="11" fill="#444"'),
    );
  });
  curves.legend.forEach(([label, color, dash], i) => {
    const lx = LEFT + 10 + i * 70;
    const ly = PANEL.latency.top + 14;
    parts.push(
      `<line x1="${lx}" x2="${lx + 22}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`,
      svgText(lx + 26, ly, label, ' font-size="11"'),
    );
  });

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

function svgText(tx: number, ty: number, body: string, extra = ''): string {
  return `<text x="${tx.toFixed(1)}" y="${ty.toFixed(1)}"${extra}>${escapeXml(body)}</text>`;
}

/** Milliseconds of a latency in seconds (NaN where none was measured). */
const latencyMs = (v: number) => (Number.isFinite(v) ? v * 1000 : Number.NaN);

/** The chart's axes: the rate (x), latency on a log scale and the queue depth. */
interface CapacityScales {
  plotWidth: number;
  xTicks: number[];
  x: (rps: number) => number;
  latencyTicks: number[];
  yLatency: (ms: number) => number;
  depthTicks: number[];
  yDepth: (depth: number) => number;
}

function capacityScales(profile: CapacityProfile, slo: LatencySlo | undefined): CapacityScales {
  const steps = profile.steps;
  const plotWidth = WIDTH - LEFT - RIGHT;
  const xTicks = roundTicks(Math.max(1, ...steps.map((s) => s.offeredRps)) * 1.05);
  const xMax = xTicks[xTicks.length - 1] as number;
  const sloMs = slo ? slo.seconds * 1000 : 0;
  const measured = steps
    .flatMap((s) => [latencyMs(s.latency.p50), latencyMs(s.latency.p99)])
    .filter((v) => Number.isFinite(v) && v > 0);
  const latencyTicks = logTicks(
    Math.max(0.1, Math.min(...measured, sloMs > 0 ? sloMs : Number.POSITIVE_INFINITY)),
    Math.max(sloMs * 1.2, ...measured, 1),
  );
  const latencyMin = latencyTicks[0] as number;
  const latencyMax = latencyTicks[latencyTicks.length - 1] as number;
  const span = Math.log10(latencyMax) - Math.log10(latencyMin);
  const depths = steps.map((s) => s.server.meanQueueDepth);
  const depthTicks = roundTicks(Math.max(1, ...depths.filter((d): d is number => d !== null)), 4);
  const depthMax = depthTicks[depthTicks.length - 1] as number;
  return {
    plotWidth,
    xTicks,
    x: (rps) => LEFT + (rps / xMax) * plotWidth,
    latencyTicks,
    yLatency: (ms) =>
      PANEL.latency.top +
      PANEL.latency.height *
        (1 -
          (Math.log10(Math.min(Math.max(ms, latencyMin), latencyMax)) - Math.log10(latencyMin)) /
            span),
    depthTicks,
    yDepth: (d) => PANEL.depth.top + PANEL.depth.height * (1 - d / depthMax),
  };
}

/** Both panels' grid, ticks, titles and frames, and the rate axis' label. */
function capacityAxes({
  plotWidth,
  xTicks,
  x,
  latencyTicks,
  yLatency,
  depthTicks,
  yDepth,
}: CapacityScales): string[] {
  const parts: string[] = [];
  for (const [panel, ticks, y, unit] of [
    [PANEL.latency, latencyTicks, yLatency, 'latency (ms, log scale), from intended send time'],
    [PANEL.depth, depthTicks, yDepth, 'mean queue depth (pod)'],
  ] as const) {
    for (const t of ticks) {
      const ty = y(t);
      parts.push(
        `<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${ty.toFixed(1)}" y2="${ty.toFixed(1)}" stroke="#e5e5e5"/>`,
        svgText(LEFT - 8, ty + 4, String(t), ' text-anchor="end" font-size="11"'),
      );
    }
    for (const t of xTicks) {
      parts.push(
        svgText(
          x(t),
          panel.top + panel.height + 16,
          String(t),
          ' text-anchor="middle" font-size="11"',
        ),
      );
    }
    parts.push(
      svgText(LEFT, panel.top - 8, unit, ' font-size="12"'),
      `<rect x="${LEFT}" y="${panel.top}" width="${plotWidth}" height="${panel.height}" fill="none" stroke="#999"/>`,
    );
  }
  parts.push(
    svgText(
      LEFT + plotWidth / 2,
      BODY - 12,
      'arrival rate (requests/s)',
      ' text-anchor="middle" font-size="12"',
    ),
  );
  return parts;
}

/** The SLO's line on the latency panel and the saturation rate's line across both. */
function sloAndSaturation(
  profile: CapacityProfile,
  { x, yLatency }: CapacityScales,
  slo: LatencySlo | undefined,
): string[] {
  const parts: string[] = [];
  if (slo) {
    const ty = yLatency(slo.seconds * 1000);
    parts.push(
      `<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${ty.toFixed(1)}" y2="${ty.toFixed(1)}" stroke="#c00" stroke-dasharray="6 4"/>`,
      svgText(
        WIDTH - RIGHT - 4,
        ty - 4,
        `SLO ${formatSlo(slo)}`,
        ' text-anchor="end" font-size="11" fill="#c00"',
      ),
    );
  }
  if (profile.saturationRps !== null) {
    const sx = x(profile.saturationRps);
    for (const panel of [PANEL.latency, PANEL.depth]) {
      parts.push(
        `<line x1="${sx.toFixed(1)}" x2="${sx.toFixed(1)}" y1="${panel.top}" y2="${panel.top + panel.height}" stroke="#999" stroke-dasharray="3 3"/>`,
      );
    }
    parts.push(
      svgText(
        sx - 4,
        PANEL.latency.top + 14,
        'saturated',
        ' text-anchor="end" font-size="11" fill="#666"',
      ),
    );
  }
  return parts;
}

/** The p50, p95 and p99 curves and the depth curve (saturated steps hollow), with the legend. */
function capacityCurves(
  steps: CapacityProfile['steps'],
  { x, yLatency, yDepth }: CapacityScales,
): { lines: string[]; legend: [string, string, string][] } {
  const hollow = steps.map((s) => s.saturated);
  const series = (pick: (s: (typeof steps)[number]) => number) =>
    steps
      .map((s) => [x(s.offeredRps), pick(s)] as [number, number])
      .filter(([, v]) => Number.isFinite(v));
  const lines: string[] = [];
  const legend: [string, string, string][] = [];
  for (const [key, dash] of [
    ['p50', ''],
    ['p95', '6 3'],
    ['p99', '2 3'],
  ] as const) {
    const color = COLORS[key];
    lines.push(
      polyline(
        series((s) => latencyMs(s.latency[key])).map(([px, v]) => [px, yLatency(v)]),
        color,
        dash,
        hollow,
      ),
    );
    legend.push([key, color, dash]);
  }
  lines.push(
    polyline(
      series((s) => s.server.meanQueueDepth ?? Number.NaN).map(([px, v]) => [px, yDepth(v)]),
      COLORS.depth,
      '',
      steps.filter((s) => s.server.meanQueueDepth !== null).map((s) => s.saturated),
    ),
  );
  return { lines, legend };
}
