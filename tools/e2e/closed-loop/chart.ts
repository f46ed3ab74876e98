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
  const all = [...replicas, ...p95].flatMap((l) => l.points.map((p) => p.time));
  const tMin = Math.min(...all);
  const tMax = Math.max(...all);
  const plotWidth = WIDTH - LEFT - RIGHT;
  const x = (t: number) => LEFT + ((t - tMin) / (tMax - tMin || 1)) * plotWidth;
  const [rPanel, lPanel] = PANELS as [(typeof PANELS)[0], (typeof PANELS)[0]];
  const rMax = Math.max(1, ...replicas.flatMap((l) => l.points.map((p) => p.value ?? 0)));
  const rTicks = ticks(rMax).filter((v) => Number.isInteger(v));
  const rTop = rTicks[rTicks.length - 1] as number;
  const yR = (v: number) => rPanel.top + rPanel.height * (1 - v / rTop);
  // p95 on a log scale from 10 ms to the largest finite value (at least 10 s).
  const finite = p95.flatMap((l) =>
    l.points.map((p) => p.value).filter((v): v is number => v !== undefined && Number.isFinite(v)),
  );
  const lo = 0.01;
  const hi = Math.max(10, ...finite);
  const yL = (v: number) =>
    lPanel.top +
    lPanel.height *
      (1 -
        (Math.log10(Math.max(lo, Math.min(hi, v))) - Math.log10(lo)) /
          (Math.log10(hi) - Math.log10(lo)));
  const parts: string[] = [];
  const text = (tx: number, ty: number, body: string, extra = '') =>
    parts.push(
      `<text x="${tx.toFixed(1)}" y="${ty.toFixed(1)}"${extra}>${body.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text>`,
    );
  text(LEFT, 22, options.title, ' font-size="14" font-weight="bold"');
  for (const panel of PANELS) {
    parts.push(
      `<rect x="${LEFT}" y="${panel.top}" width="${plotWidth}" height="${panel.height}" fill="none" stroke="#999"/>`,
    );
    text(LEFT, panel.top - 6, panel.title, ' font-size="12"');
    const sx = x(options.stepAt);
    parts.push(
      `<line x1="${sx.toFixed(1)}" x2="${sx.toFixed(1)}" y1="${panel.top}" y2="${panel.top + panel.height}" stroke="#bbb" stroke-dasharray="3 3"/>`,
    );
  }
  for (const t of rTicks) {
    text(LEFT - 6, yR(t) + 4, String(t), ' text-anchor="end" font-size="11"');
    parts.push(
      `<line x1="${LEFT}" x2="${LEFT + plotWidth}" y1="${yR(t).toFixed(1)}" y2="${yR(t).toFixed(1)}" stroke="#eee"/>`,
    );
  }
  for (const ms of [10, 100, 1000, 10000, 100000].filter((v) => v / 1000 <= hi)) {
    const ty = yL(ms / 1000);
    text(LEFT - 6, ty + 4, String(ms), ' text-anchor="end" font-size="11"');
    parts.push(
      `<line x1="${LEFT}" x2="${LEFT + plotWidth}" y1="${ty.toFixed(1)}" y2="${ty.toFixed(1)}" stroke="#eee"/>`,
    );
  }
  const sloY = yL(options.sloSeconds);
  parts.push(
    `<line x1="${LEFT}" x2="${LEFT + plotWidth}" y1="${sloY.toFixed(1)}" y2="${sloY.toFixed(1)}" stroke="#c00" stroke-dasharray="6 4"/>`,
  );
  text(
    LEFT + plotWidth - 4,
    sloY - 4,
    `SLO ${Math.round(options.sloSeconds * 1000)} ms`,
    ' text-anchor="end" font-size="11" fill="#c00"',
  );
  for (const t of ticks(tMax - tMin)
    .map((v) => v + tMin)
    .filter((v) => v <= tMax)) {
    text(
      x(t),
      lPanel.top + lPanel.height + 16,
      `${Math.round(t)}`,
      ' text-anchor="middle" font-size="11"',
    );
  }
  text(LEFT + plotWidth / 2, HEIGHT - 8, 'seconds', ' text-anchor="middle" font-size="12"');
  const draw = (line: TimeLine, y: (v: number) => number) =>
    parts.push(
      `<path d="${path(line.points.map((p) => [x(p.time), p.value === undefined ? Number.NaN : y(p.value)]))}" fill="none" stroke="${line.color}" stroke-width="${line.dashed ? 2 : 1.5}"${line.dashed ? ' stroke-dasharray="7 4"' : ''}/>`,
    );
  for (const line of replicas) draw(line, yR);
  for (const line of p95) draw(line, yL);
  replicas.forEach((line, i) => {
    const ly = rPanel.top + 12 + i * 18;
    const lx = LEFT + plotWidth + 14;
    parts.push(
      `<line x1="${lx}" x2="${lx + 26}" y1="${ly - 4}" y2="${ly - 4}" stroke="${line.color}" stroke-width="2"${line.dashed ? ' stroke-dasharray="7 4"' : ''}/>`,
    );
    text(lx + 32, ly, line.label, ' font-size="11"');
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif">`,
    `<title>${options.title.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    ...parts,
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
