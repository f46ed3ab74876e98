/**
 * The envelope's chart: per configuration, seconds over the SLO against the step's size (× the
 * base) and against the ramp's slope (req/s per minute), each scenario a point (filled: held,
 * hollow: not held), the budget a dashed line. Plain SVG, written here (no chart library is a
 * dependency of the package, and the other charts are hand-written the same way).
 */
import { escapeXml } from '../simulate/chart.js';
import type { Envelope, EnvelopeScenario } from './envelope.js';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const W = 420;
const H = 260;
const M = { left: 56, right: 16, top: 34, bottom: 44 };

function fmt(value: number): string {
  return String(Number(value.toPrecision(3)));
}

interface Panel {
  title: string;
  axis: string;
  x: (s: EnvelopeScenario) => number;
  kind: EnvelopeScenario['kind'];
}

function panel(envelopes: readonly Envelope[], p: Panel, offsetX: number): string {
  const points = envelopes.flatMap((e, i) =>
    e.scenarios.filter((s) => s.kind === p.kind).map((s) => ({ s, i })),
  );
  const xs = points.map(({ s }) => Math.log10(p.x(s)));
  const ys = points.map(({ s }) => Math.min(s.sloViolationSeconds, 1e6));
  const budget = Math.max(0, ...points.map(({ s }) => s.allowedSeconds));
  // a tenth of a decade each side, so the first and last points stand clear of the axes
  const [x0, x1] = [Math.min(...xs) - 0.1, Math.max(...xs) + 0.1];
  const y1 = Math.max(...ys, budget * 2, 10);
  const px = (x: number) => offsetX + M.left + ((x - x0) / (x1 - x0 || 1)) * (W - M.left - M.right);
  const py = (y: number) => M.top + (1 - y / y1) * (H - M.top - M.bottom);
  const out = [
    `<text x="${offsetX + W / 2}" y="18" text-anchor="middle" font-weight="bold">${escapeXml(p.title)}</text>`,
    `<line x1="${px(x0)}" y1="${py(0)}" x2="${px(x1)}" y2="${py(0)}" stroke="#333"/>`,
    `<line x1="${px(x0)}" y1="${py(0)}" x2="${px(x0)}" y2="${py(y1)}" stroke="#333"/>`,
    `<text x="${offsetX + W / 2}" y="${H - 8}" text-anchor="middle">${escapeXml(p.axis)} (log scale)</text>`,
    `<text x="${offsetX + 14}" y="${(H - M.bottom + M.top) / 2}" transform="rotate(-90 ${offsetX + 14} ${(H - M.bottom + M.top) / 2})" text-anchor="middle">s over the SLO</text>`,
    `<text x="${px(x0) - 4}" y="${py(y1) + 4}" text-anchor="end">${fmt(y1)}</text>`,
    `<text x="${px(x0) - 4}" y="${py(0) + 4}" text-anchor="end">0</text>`,
  ];
  const allowances = new Set(points.map(({ s }) => s.allowedSeconds));
  if (allowances.size === 1) {
    out.push(
      `<line x1="${px(x0)}" y1="${py(budget)}" x2="${px(x1)}" y2="${py(budget)}" stroke="#888" stroke-dasharray="4 3"/>`,
      `<text x="${px(x1)}" y="${py(budget) - 4}" text-anchor="end" fill="#666">allowed: ${budget} s</text>`,
    );
  } else {
    // scenarios of different lengths are allowed different seconds: a grey dash at each one's
    for (const [k, { s }] of points.entries()) {
      const x = px(xs[k] as number);
      out.push(
        `<line x1="${x - 7}" y1="${py(s.allowedSeconds)}" x2="${x + 7}" y2="${py(s.allowedSeconds)}" stroke="#888" stroke-width="2"/>`,
      );
    }
    out.push(
      `<text x="${px(x1)}" y="${py(y1) + 10}" text-anchor="end" fill="#666">grey dash: the seconds allowed</text>`,
    );
  }
  const labelled: number[] = [];
  for (const [k, { s, i }] of points.entries()) {
    const color = COLORS[i % COLORS.length] as string;
    const x = px(xs[k] as number);
    out.push(
      `<circle cx="${x}" cy="${py(ys[k] as number)}" r="4" stroke="${color}" fill="${s.held ? color : 'white'}"><title>${escapeXml(`${envelopes[i]?.name}: ${fmt(p.x(s))}, ${s.sloViolationSeconds} s over`)}</title></circle>`,
    );
    // an axis label where it does not overlap one already written
    if (labelled.every((other) => Math.abs(other - x) >= 24)) {
      labelled.push(x);
      out.push(
        `<text x="${x}" y="${py(0) + 14}" text-anchor="middle" font-size="9">${fmt(p.x(s))}</text>`,
      );
    }
  }
  return out.join('\n');
}

/**
 * Renders the envelopes of one or more configurations.
 *
 * @param envelopes - from `envelopeOf`
 * @returns the SVG text
 */
export function renderEnvelopeSvg(envelopes: readonly Envelope[]): string {
  const legend = envelopes.map(
    (e, i) =>
      `<text x="${M.left + i * 260}" y="${H + 14}" fill="${COLORS[i % COLORS.length]}">● ${escapeXml(e.name)}</text>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H + 40}" font-family="sans-serif" font-size="11">`,
    '<rect width="100%" height="100%" fill="white"/>',
    panel(
      envelopes,
      {
        title: 'steps from the base rate',
        axis: '× the base rate',
        x: (s) => s.times,
        kind: 'step',
      },
      0,
    ),
    panel(
      envelopes,
      {
        title: 'ramps from the base to the peak',
        axis: 'req/s per minute',
        x: (s) => s.slopePerMinute,
        kind: 'ramp',
      },
      W,
    ),
    ...legend,
    `<text x="${M.left}" y="${H + 30}" fill="#666">filled: held within the budget; hollow: not held</text>`,
    '</svg>',
    '',
  ].join('\n');
}
