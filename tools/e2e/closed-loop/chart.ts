/**
 * Predicted against measured, over time: replicas and per-second p95 of each config, the
 * simulation dashed and the closed loop solid. Hand-written SVG (no dependency), like the package's
 * charts.
 */

/** One line's points. */
export interface TimeLine {
  label: string;
  color: string;
  dashed: boolean;
  points: readonly { time: number; value: number | undefined }[];
}

const WIDTH = 860;
const LEFT = 64;
const RIGHT = 200;
const PANELS = [
  { top: 40, height: 170, title: 'replicas (spec.replicas)' },
  { top: 260, height: 200, title: 'p95 per second (ms, log scale)' },
];
const HEIGHT = 500;

function ticks(max: number): number[] {
  const raw = max / 5;
  const power = 10 ** Math.floor(Math.log10(raw || 1));
  const step = ([1, 2, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
  const out: number[] = [];
  for (let v = 0; ; v += step) {
    out.push(Number(v.toPrecision(10)));
    if (v >= max) return out;
  }
}

function path(points: [number, number][]): string {
  let d = '';
  let pen = false;
  for (const [x, y] of points) {
    if (!Number.isFinite(y)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`;
    pen = true;
  }
  return d;
}

/** The chart's scales: time across, replicas on the top panel, p95 (log) on the bottom one. */
interface Scales {
  plotWidth: number;
  tMin: number;
  tMax: number;
  x: (t: number) => number;
  rTicks: number[];
  yR: (v: number) => number;
  /** The largest p95 drawn, seconds. */
  hi: number;
  yL: (v: number) => number;
}

const [R_PANEL, L_PANEL] = PANELS as [(typeof PANELS)[0], (typeof PANELS)[0]];

function scales(replicas: readonly TimeLine[], p95: readonly TimeLine[]): Scales {
  const all = [...replicas, ...p95].flatMap((l) => l.points.map((p) => p.time));
  const tMin = Math.min(...all);
  const tMax = Math.max(...all);
  const plotWidth = WIDTH - LEFT - RIGHT;
  const x = (t: number) => LEFT + ((t - tMin) / (tMax - tMin || 1)) * plotWidth;
  const rMax = Math.max(1, ...replicas.flatMap((l) => l.points.map((p) => p.value ?? 0)));
  const rTicks = ticks(rMax).filter((v) => Number.isInteger(v));
  const rTop = rTicks[rTicks.length - 1] as number;
  const yR = (v: number) => R_PANEL.top + R_PANEL.height * (1 - v / rTop);
  // p95 on a log scale from 10 ms to the largest finite value (at least 10 s).
  const finite = p95.flatMap((l) =>
    l.points.map((p) => p.value).filter((v): v is number => v !== undefined && Number.isFinite(v)),
  );
  const lo = 0.01;
  const hi = Math.max(10, ...finite);
  const yL = (v: number) =>
    L_PANEL.top +
    L_PANEL.height *
      (1 -
        (Math.log10(Math.max(lo, Math.min(hi, v))) - Math.log10(lo)) /
          (Math.log10(hi) - Math.log10(lo)));
  return { plotWidth, tMin, tMax, x, rTicks, yR, hi, yL };
}

function escapeText(body: string): string {
  return body.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}

function textElement(tx: number, ty: number, body: string, extra = ''): string {
  return `<text x="${tx.toFixed(1)}" y="${ty.toFixed(1)}"${extra}>${escapeText(body)}</text>`;
}

function gridLine(plotWidth: number, y: number): string {
  return `<line x1="${LEFT}" x2="${LEFT + plotWidth}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#eee"/>`;
}

/** The panels' frames and titles, the load step, and both value axes with their grid lines. */
function frame(s: Scales, options: { stepAt: number }): string[] {
  const parts: string[] = [];
  for (const panel of PANELS) {
    parts.push(
      `<rect x="${LEFT}" y="${panel.top}" width="${s.plotWidth}" height="${panel.height}" fill="none" stroke="#999"/>`,
    );
    parts.push(textElement(LEFT, panel.top - 6, panel.title, ' font-size="12"'));
    const sx = s.x(options.stepAt);
    parts.push(
      `<line x1="${sx.toFixed(1)}" x2="${sx.toFixed(1)}" y1="${panel.top}" y2="${panel.top + panel.height}" stroke="#bbb" stroke-dasharray="3 3"/>`,
    );
  }
  for (const t of s.rTicks) {
    parts.push(textElement(LEFT - 6, s.yR(t) + 4, String(t), ' text-anchor="end" font-size="11"'));
    parts.push(gridLine(s.plotWidth, s.yR(t)));
  }
  for (const ms of [10, 100, 1000, 10000, 100000].filter((v) => v / 1000 <= s.hi)) {
    const ty = s.yL(ms / 1000);
    parts.push(textElement(LEFT - 6, ty + 4, String(ms), ' text-anchor="end" font-size="11"'));
    parts.push(gridLine(s.plotWidth, ty));
  }
  return parts;
}

/** The SLO line on the p95 panel, and the time axis under it. */
function sloAndTimeAxis(s: Scales, options: { sloSeconds: number }): string[] {
  const parts: string[] = [];
  const sloY = s.yL(options.sloSeconds);
  parts.push(
    `<line x1="${LEFT}" x2="${LEFT + s.plotWidth}" y1="${sloY.toFixed(1)}" y2="${sloY.toFixed(1)}" stroke="#c00" stroke-dasharray="6 4"/>`,
  );
  parts.push(
    textElement(
      LEFT + s.plotWidth - 4,
      sloY - 4,
      `SLO ${Math.round(options.sloSeconds * 1000)} ms`,
      ' text-anchor="end" font-size="11" fill="#c00"',
    ),
  );
  for (const t of ticks(s.tMax - s.tMin)
    .map((v) => v + s.tMin)
    .filter((v) => v <= s.tMax)) {
    parts.push(
      textElement(
        s.x(t),
        L_PANEL.top + L_PANEL.height + 16,
        `${Math.round(t)}`,
        ' text-anchor="middle" font-size="11"',
      ),
    );
  }
  parts.push(
    textElement(
      LEFT + s.plotWidth / 2,
      HEIGHT - 8,
      'seconds',
      ' text-anchor="middle" font-size="12"',
    ),
  );
  return parts;
}

/** Every line on its panel, then the legend beside the replicas panel. */
function linesAndLegend(
  s: Scales,
  replicas: readonly TimeLine[],
  p95: readonly TimeLine[],
): string[] {
  const draw = (line: TimeLine, y: (v: number) => number) =>
    `<path d="${path(line.points.map((p) => [s.x(p.time), p.value === undefined ? Number.NaN : y(p.value)]))}" fill="none" stroke="${line.color}" stroke-width="${line.dashed ? 2 : 1.5}"${line.dashed ? ' stroke-dasharray="7 4"' : ''}/>`;
  const parts = [
    ...replicas.map((line) => draw(line, s.yR)),
    ...p95.map((line) => draw(line, s.yL)),
  ];
  replicas.forEach((line, i) => {
    const ly = R_PANEL.top + 12 + i * 18;
    const lx = LEFT + s.plotWidth + 14;
    parts.push(
      `<line x1="${lx}" x2="${lx + 26}" y1="${ly - 4}" y2="${ly - 4}" stroke="${line.color}" stroke-width="2"${line.dashed ? ' stroke-dasharray="7 4"' : ''}/>`,
    );
    parts.push(textElement(lx + 32, ly, line.label, ' font-size="11"'));
  });
  return parts;
}

/**
 * Renders the two panels.
 *
 * @param replicas - one line per config and source
 * @param p95 - the same, seconds (Infinity or undefined: no value)
 * @param options - the SLO (seconds) drawn on the p95 panel, the load step, a title
 */
export function renderComparisonSvg(
  replicas: readonly TimeLine[],
  p95: readonly TimeLine[],
  options: { sloSeconds: number; stepAt: number; title: string },
): string {
  const s = scales(replicas, p95);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif">`,
    `<title>${escapeText(options.title)}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    textElement(LEFT, 22, options.title, ' font-size="14" font-weight="bold"'),
    ...frame(s, options),
    ...sloAndTimeAxis(s, options),
    ...linesAndLegend(s, replicas, p95),
    '</svg>',
    '',
  ].join('\n');
}

const COLORS = ['#d95f02', '#1b9e77', '#7570b3', '#1f78b4'];

/** One config's two runs, as the validation bench keeps them. */
export interface ComparedRun {
  name: string;
  loop: { seconds: readonly { time: number; replicas: number; p95?: number }[] };
  sim: { seconds: readonly { time: number; replicas: number; p95?: number | null }[] };
}

/**
 * The chart of the validation bench: every config, simulated (dashed) and measured (solid).
 *
 * @param runs - per config, the closed loop's and the simulation's seconds
 * @param options - SLO, load step, title
 */
export function renderValidationChart(
  runs: readonly ComparedRun[],
  options: { sloSeconds: number; stepAt: number; title: string },
): string {
  const replicas: TimeLine[] = [];
  const p95: TimeLine[] = [];
  runs.forEach((run, i) => {
    const color = COLORS[i % COLORS.length] as string;
    for (const [source, seconds, dashed] of [
      ['simulated', run.sim.seconds, true],
      ['closed loop', run.loop.seconds, false],
    ] as const) {
      const label = `${run.name}, ${source}`;
      replicas.push({
        label,
        color,
        dashed,
        points: seconds.map((s) => ({ time: s.time, value: s.replicas })),
      });
      p95.push({
        label,
        color,
        dashed,
        points: seconds.map((s) => ({
          time: s.time,
          value: s.p95 === null ? Number.POSITIVE_INFINITY : s.p95,
        })),
      });
    }
  });
  return renderComparisonSvg(replicas, p95, options);
}
