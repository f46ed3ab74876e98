/**
 * A small SVG chart of stacked time panels sharing one x axis, for the simulator's reports.
 * Written by hand (a few hundred lines) rather than with a charting library: the output is a
 * static file with no script, and what it must get right is specific (every config visible where
 * lines coincide, round ticks, reference lines, notes), which is easier to own than to configure.
 *
 * Every config gets a color and a dash pattern, and its step lines a small vertical offset, so
 * that configs drawing the same values stay visible side by side instead of hiding each other.
 */

/** One line of a panel. */
export interface ChartLine {
  /** Legend label (the config). */
  label: string;
  /** Stroke color. */
  color: string;
  /** SVG dash array (`''` solid). */
  dash: string;
  /** `[x, y]` points; a `y` of undefined breaks the line. */
  points: readonly (readonly [number, number | undefined])[];
  /** Draw as steps (the value holds until the next point). */
  step?: boolean;
  /** Pixels to shift the line vertically, so coinciding lines stay visible. */
  offsetPx?: number;
  /** Stroke width (default 2). */
  width?: number;
}

/** A horizontal reference line (a target, a bound). */
export interface ChartReference {
  y: number;
  label: string;
  color?: string;
}

/** One panel. */
export interface ChartPanel {
  /** Title above the panel (what the y axis is). */
  title: string;
  /** Pixels high (default 170). */
  height?: number;
  /** Whole-number ticks (replicas). */
  integer?: boolean;
  /** Axis top; default: a round value at or above the highest point and reference. */
  yMax?: number;
  /** Values above this are drawn at the top (and the panel says so). */
  clipAt?: number;
  lines: readonly ChartLine[];
  references?: readonly ChartReference[];
  /** Formats tick values (default: up to 3 significant digits). */
  format?: (value: number) => string;
  /** Shaded stretches of time (e.g. where a config could not scale down), drawn behind the lines. */
  bands?: readonly ChartBand[];
}

/** A shaded stretch of time in a panel. */
export interface ChartBand {
  from: number;
  to: number;
  color: string;
  /** Written at the top of the band. */
  label?: string;
}

/** The whole chart. */
export interface ChartSpec {
  title: string;
  /** Label under the x axis. */
  xLabel: string;
  /** x range. */
  x0: number;
  x1: number;
  /** Vertical markers (the load step). */
  markers?: readonly { x: number; label: string }[];
  panels: readonly ChartPanel[];
  /** One entry per config: its color, dash and lines of figures. */
  legend: readonly { label: string; color: string; dash: string; lines: readonly string[] }[];
  /** Notes under the chart (e.g. why a config never scaled down), each in a color. */
  notes?: readonly { text: string; color: string }[];
}

/** Colors and dashes of the configs, in order. */
export const SERIES_STYLES: readonly { color: string; dash: string }[] = [
  { color: '#1f77b4', dash: '' },
  { color: '#d62728', dash: '8 4' },
  { color: '#2ca02c', dash: '2 3' },
  { color: '#9467bd', dash: '10 3 2 3' },
  { color: '#ff7f0e', dash: '5 2' },
  { color: '#8c564b', dash: '1 2' },
];

/**
 * The style of the i-th config.
 *
 * @param index - config index
 * @returns color and dash
 */
export function seriesStyle(index: number): { color: string; dash: string } {
  return SERIES_STYLES[index % SERIES_STYLES.length] as { color: string; dash: string };
}

/**
 * Text made safe inside an SVG element or attribute: `<`, `>`, `&` and both quotes as character
 * references. Every chart of the package writes its text through this.
 *
 * @param text - any text
 * @example
 * escapeXml('p95 < "200 ms"'); // 'p95 &#60; &#34;200 ms&#34;'
 */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The smallest `m × 10^k` at or above `raw`, for `m` in `multipliers`: the round step of an axis.
 *
 * @param raw - the step the range would need for the wanted number of ticks
 * @param multipliers - ascending, from 1 to 10
 * @example
 * roundStep(0.225, [1, 2, 5, 10]); // 0.5
 */
export function roundStep(raw: number, multipliers: readonly number[]): number {
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  for (const m of multipliers) if (m * magnitude >= raw) return m * magnitude;
  return 10 * magnitude;
}

/**
 * A round tick step for a range: 1, 2, 2.5 or 5 times a power of ten, giving at most `count` ticks;
 * for time in seconds, multiples of 15, 30, 60 … beyond 10 s.
 *
 * @param range - the span to cover
 * @param count - the most ticks wanted
 * @param time - choose steps that read well in seconds
 * @returns the step
 * @example
 * niceStep(600, 10, true); // 60
 */
export function niceStep(range: number, count: number, time = false): number {
  if (!(range > 0)) return 1;
  const raw = range / count;
  if (time && raw > 10) {
    for (const s of [15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400]) {
      if (s >= raw) return s;
    }
  }
  return roundStep(raw, [1, 2, 2.5, 5, 10]);
}

/**
 * Ticks at whole multiples of a step within a range.
 *
 * @param lo - range start
 * @param hi - range end
 * @param step - from {@link niceStep}
 * @returns the tick values
 * @example
 * ticksBetween(-60, 540, 60); // [-60, 0, 60, ..., 540]
 */
export function ticksBetween(lo: number, hi: number, step: number): number[] {
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + 1e-9; v += step) {
    out.push(Number(v.toPrecision(12)));
  }
  return out;
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      out.push(line);
      line = `  ${word}`;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') out.push(line);
  return out;
}

function defaultFormat(value: number): string {
  return String(Number(value.toPrecision(3)));
}

/** The chart's layout: sizes, the panels' heights and the x scale. */
interface ChartFrame {
  left: number;
  plotWidth: number;
  width: number;
  top: number;
  gap: number;
  height: number;
  panelHeights: number[];
  plotsHeight: number;
  noteLines: { text: string; color: string }[];
  span: number;
  /** Trace time to pixels. */
  x: (v: number) => number;
}

function chartFrame(spec: ChartSpec): ChartFrame {
  const left = 64;
  const plotWidth = 640;
  const longest = Math.max(
    20,
    ...spec.legend.flatMap((entry) => [
      entry.label.length,
      ...entry.lines.map((l) => l.length * 0.9),
    ]),
  );
  const legendWidth = Math.min(460, 60 + longest * 7.4);
  const width = left + plotWidth + legendWidth;
  const top = 56;
  const gap = 46;
  const noteChars = Math.floor((left + plotWidth + legendWidth - left - 10) / 6.6);
  const noteLines = (spec.notes ?? []).flatMap((note) =>
    wrap(note.text, noteChars).map((text) => ({ text, color: note.color })),
  );
  const panelHeights = spec.panels.map((p) => p.height ?? 170);
  const plotsHeight = panelHeights.reduce((a, b) => a + b, 0) + gap * (spec.panels.length - 1);
  const height = top + plotsHeight + 46 + noteLines.length * 17 + 10;
  const span = spec.x1 - spec.x0 || 1;
  const x = (v: number) => left + ((v - spec.x0) / span) * plotWidth;
  return {
    left,
    plotWidth,
    width,
    top,
    gap,
    height,
    panelHeights,
    plotsHeight,
    noteLines,
    span,
    x,
  };
}

/**
 * Renders the chart.
 *
 * @param spec - panels, lines, legend and notes
 * @returns the SVG document
 * @example
 * writeFileSync('chart.svg', renderChart(spec));
 */
export function renderChart(spec: ChartSpec): string {
  const frame = chartFrame(spec);
  const { left, width, height, top } = frame;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${Math.ceil(height)}" viewBox="0 0 ${width} ${Math.ceil(height)}" font-family="sans-serif" font-size="12">`,
    // Its title for screen readers and tooltips, as the calibration and closed-loop charts have.
    `<title>${escapeXml(spec.title)}</title>`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="${left}" y="22" font-size="15" font-weight="bold">${escapeXml(spec.title)}</text>`,
  ];
  let y0 = top;
  /** Each panel's plot area: markers are drawn inside them, never across the titles between. */
  const plotted: { top: number; bottom: number }[] = [];
  spec.panels.forEach((panel, index) => {
    const h = frame.panelHeights[index] as number;
    parts.push(...renderPanel(frame, panel, index, y0, h));
    plotted.push({ top: y0, bottom: y0 + h });
    y0 += h + frame.gap;
  });
  parts.push(
    ...renderTimeAxis(frame, spec),
    ...renderMarkers(frame, spec, plotted),
    ...renderLegend(frame, spec),
    ...renderNotes(frame),
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}

/** A panel's y axis: its top, tick step and scale, and whether values were clipped. */
function panelScale(panel: ChartPanel, y0: number, h: number) {
  const values = panel.lines.flatMap((l) =>
    l.points.map((p) => p[1]).filter((v): v is number => v !== undefined && Number.isFinite(v)),
  );
  const highest = Math.max(0, ...values, ...(panel.references ?? []).map((r) => r.y));
  const clipped = panel.clipAt !== undefined && highest > panel.clipAt;
  const dataMax = clipped ? (panel.clipAt as number) : highest;
  const step = panel.integer
    ? Math.max(1, Math.ceil((panel.yMax ?? dataMax) / 6))
    : niceStep(panel.yMax ?? dataMax, 5);
  const yMax = panel.yMax ?? Math.max(step, Math.ceil(dataMax / step - 1e-9) * step);
  const y = (v: number) => y0 + h - (Math.min(Math.max(v, 0), yMax) / yMax) * h;
  return { clipped, step, yMax, y };
}

/** One panel: title, frame, bands, y ticks, reference lines and the lines. */
function renderPanel(
  frame: ChartFrame,
  panel: ChartPanel,
  index: number,
  y0: number,
  h: number,
): string[] {
  const { left, plotWidth, x } = frame;
  const { clipped, step, yMax, y } = panelScale(panel, y0, h);
  const format = panel.format ?? defaultFormat;
  // The title says which reference lines are off the axis: the only place that knows is here.
  const above = (panel.references ?? []).filter((ref) => ref.y > yMax).map((ref) => ref.label);
  const parts = [
    `<text x="${left}" y="${y0 - 7}" fill="#333" font-weight="bold">${escapeXml(panel.title)}${clipped ? escapeXml(` (values above ${format(yMax)} drawn at the top)`) : ''}${above.length > 0 ? escapeXml(` (${above.join(', ')}: above the axis, not drawn)`) : ''}</text>`,
    `<rect x="${left}" y="${y0}" width="${plotWidth}" height="${h}" fill="none" stroke="#999"/>`,
  ];
  for (const band of panel.bands ?? []) {
    const bx0 = Math.max(x(band.from), left);
    const bx1 = Math.min(x(band.to), left + plotWidth);
    if (!(bx1 > bx0)) continue;
    parts.push(
      `<rect x="${bx0.toFixed(1)}" y="${y0}" width="${(bx1 - bx0).toFixed(1)}" height="${h}" fill="${band.color}" fill-opacity="0.1"/>`,
    );
    if (band.label) {
      parts.push(
        `<text x="${(bx0 + 4).toFixed(1)}" y="${y0 + 26}" fill="${band.color}" font-size="11">${escapeXml(band.label)}</text>`,
      );
    }
  }
  for (const v of ticksBetween(0, yMax, step)) {
    const yy = y(v).toFixed(1);
    parts.push(
      `<line x1="${left}" x2="${left + plotWidth}" y1="${yy}" y2="${yy}" stroke="#eee"/>`,
      `<text x="${left - 6}" y="${(Number(yy) + 4).toFixed(1)}" text-anchor="end" fill="#444">${escapeXml(format(v))}</text>`,
    );
  }
  for (const ref of panel.references ?? []) {
    if (ref.y > yMax) continue;
    const yy = y(ref.y);
    // Above its line, unless that would put it on the panel's top edge or in the title row.
    const labelY = yy - 4 - 11 < y0 + 2 ? yy + 13 : yy - 4;
    parts.push(
      `<line x1="${left}" x2="${left + plotWidth}" y1="${yy.toFixed(1)}" y2="${yy.toFixed(1)}" stroke="${ref.color ?? '#555'}" stroke-dasharray="3 3" stroke-width="1"/>`,
      `<text x="${left + plotWidth - 4}" y="${labelY.toFixed(1)}" text-anchor="end" fill="${ref.color ?? '#555'}" font-size="11">${escapeXml(shorten(ref.label, 90))}</text>`,
    );
  }
  parts.push(
    `<clipPath id="panel${index}"><rect x="${left}" y="${y0 - 3}" width="${plotWidth}" height="${h + 6}"/></clipPath>`,
  );
  for (const line of panel.lines) {
    const segments = lineSegments(line, x, y, yMax);
    if (segments.length === 0) continue;
    parts.push(
      `<path d="${segments.join(' ')}" fill="none" stroke="${line.color}" stroke-width="${line.width ?? 2}"${line.dash ? ` stroke-dasharray="${line.dash}"` : ''} clip-path="url(#panel${index})"/>`,
    );
  }
  return parts;
}

/** A line's path segments (a point without a value breaks it; a step line holds its value). */
function lineSegments(
  line: ChartLine,
  x: (v: number) => number,
  y: (v: number) => number,
  yMax: number,
): string[] {
  const off = line.offsetPx ?? 0;
  const segments: string[] = [];
  let current: string[] = [];
  let previous: number | undefined;
  for (const [px, py] of line.points) {
    if (py === undefined) {
      if (current.length > 0) segments.push(current.join(' '));
      current = [];
      previous = undefined;
      continue;
    }
    const xx = x(px).toFixed(1);
    const yy = (y(Number.isFinite(py) ? py : yMax) + off).toFixed(1);
    if (current.length === 0) current.push(`M${xx},${yy}`);
    else {
      if (line.step && previous !== undefined)
        current.push(`L${xx},${(y(previous) + off).toFixed(1)}`);
      current.push(`L${xx},${yy}`);
    }
    previous = Number.isFinite(py) ? py : yMax;
  }
  if (current.length > 0) segments.push(current.join(' '));
  return segments;
}

function renderTimeAxis(frame: ChartFrame, spec: ChartSpec): string[] {
  const { left, plotWidth, x } = frame;
  const plotsBottom = frame.top + frame.plotsHeight;
  const parts: string[] = [];
  for (const v of ticksBetween(spec.x0, spec.x1, niceStep(frame.span, 10, true))) {
    const xx = x(v).toFixed(1);
    parts.push(
      `<line x1="${xx}" x2="${xx}" y1="${plotsBottom}" y2="${plotsBottom + 4}" stroke="#999"/>`,
      `<text x="${xx}" y="${plotsBottom + 17}" text-anchor="middle" fill="#444">${escapeXml(defaultFormat(v))}</text>`,
    );
  }
  parts.push(
    `<text x="${left + plotWidth / 2}" y="${plotsBottom + 36}" text-anchor="middle" fill="#444">${escapeXml(spec.xLabel)}</text>`,
  );
  return parts;
}

function renderMarkers(
  frame: ChartFrame,
  spec: ChartSpec,
  plotted: readonly { top: number; bottom: number }[],
): string[] {
  const parts: string[] = [];
  for (const marker of spec.markers ?? []) {
    if (marker.x < spec.x0 || marker.x > spec.x1) continue;
    const xx = frame.x(marker.x).toFixed(1);
    for (const area of plotted) {
      parts.push(
        `<line x1="${xx}" x2="${xx}" y1="${area.top}" y2="${area.bottom}" stroke="#888" stroke-dasharray="4 3"/>`,
      );
    }
    parts.push(
      `<text x="${Number(xx) + 4}" y="${frame.top + 13}" fill="#666" font-size="11">${escapeXml(marker.label)}</text>`,
    );
  }
  return parts;
}

function renderLegend(frame: ChartFrame, spec: ChartSpec): string[] {
  const parts: string[] = [];
  let ly = frame.top + 6;
  const lx = frame.left + frame.plotWidth + 18;
  for (const entry of spec.legend) {
    parts.push(
      `<line x1="${lx}" x2="${lx + 28}" y1="${ly}" y2="${ly}" stroke="${entry.color}" stroke-width="3"${entry.dash ? ` stroke-dasharray="${entry.dash}"` : ''}/>`,
      `<text x="${lx + 34}" y="${ly + 4}" font-weight="bold">${escapeXml(shorten(entry.label, 56))}</text>`,
    );
    ly += 16;
    for (const text of entry.lines) {
      parts.push(
        `<text x="${lx + 34}" y="${ly + 4}" fill="#555" font-size="11">${escapeXml(text)}</text>`,
      );
      ly += 14;
    }
    ly += 12;
  }
  return parts;
}

function renderNotes(frame: ChartFrame): string[] {
  let ny = frame.top + frame.plotsHeight + 58;
  return frame.noteLines.map((note) => {
    const text = `<text x="${frame.left}" y="${ny}" fill="${note.color}" font-size="12">${escapeXml(note.text)}</text>`;
    ny += 17;
    return text;
  });
}

/**
 * Reference lines at the same height drawn once, their labels joined (in grey when several share it).
 *
 * @param refs - reference lines
 * @returns one per height
 * @example
 * dedupeReferences([{ y: 2, label: 'min 2 (a)' }, { y: 2, label: 'min 2 (b)' }]);
 */
export function dedupeReferences<T extends ChartReference>(refs: readonly T[]): T[] {
  const byY = new Map<number, T>();
  for (const ref of refs) {
    const seen = byY.get(ref.y);
    // several configs share the line: its value says enough, the legend says whose
    if (seen) byY.set(ref.y, { ...seen, label: seen.label.replace(/ \(.*\)$/, ''), color: '#555' });
    else byY.set(ref.y, ref);
  }
  return [...byY.values()];
}
