/**
 * Several configs' agreement tables (compare.ts's `compareRuns`) side by side, as one Markdown
 * table: per figure its bound, then per config the simulated and the closed loop's value, the
 * latter with whether the bound held. For a bench's output and the README.
 */
import type { Agreement } from './compare.js';

/** One config's comparison. */
export interface ComparedConfig {
  name: string;
  agreement: readonly Agreement[];
}

const SYNCS = /each of (\d+) syncs/;

/** A duration in seconds as a person reads it: 45 ms, 3.3 s, 40 s; inf for never. */
function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'inf';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  return seconds < 10 ? `${seconds.toFixed(1)} s` : `${Math.round(seconds)} s`;
}

function value(row: Agreement, v: number | undefined): string {
  if (v === undefined) return '';
  if (row.figure.startsWith('p95 ')) return duration(v);
  return Number.isFinite(v) ? String(Math.round(v)) : 'never';
}

/** The closed loop's cell: its value, and for a bounded figure whether it held (and over how many syncs). */
function measuredCell(row: Agreement): string {
  if (row.bound === '-') return value(row, row.measured);
  const syncs = SYNCS.exec(row.figure)?.[1];
  const verdict = `${row.ok ? 'ok' : 'OUT'}${syncs === undefined ? '' : `, ${syncs} syncs`}`;
  return `${value(row, row.measured)} (${verdict})`;
}

/**
 * The side-by-side table.
 *
 * @param configs - each config's agreement rows, from `compareRuns` with the same phases
 * @returns a Markdown table, one row per figure
 * @throws Error when the configs' rows do not line up (different phases)
 * @example
 * formatSideBySide([{ name: 'guide', agreement: rowsA }, { name: 'tuned', agreement: rowsB }]);
 */
export function formatSideBySide(configs: readonly ComparedConfig[]): string {
  const first = configs[0]?.agreement ?? [];
  for (const config of configs) {
    const same =
      config.agreement.length === first.length &&
      config.agreement.every(
        (row, i) => row.figure.replace(SYNCS, '') === first[i]?.figure.replace(SYNCS, ''),
      );
    if (!same)
      throw new Error(`${config.name}'s figures do not line up with ${configs[0]?.name}'s`);
  }
  const header = [
    'figure',
    'bound',
    ...configs.flatMap((c) => [`${c.name}: simulated`, `${c.name}: closed loop`]),
  ];
  const rows = first.map((row, i) => [
    row.figure.replace(SYNCS, 'each sync'),
    row.bound === '-' ? 'for reading' : row.bound,
    ...configs.flatMap((c) => {
      const mine = c.agreement[i] as Agreement;
      return [value(mine, mine.simulated), measuredCell(mine)];
    }),
  ]);
  const widths = header.map((_, i) =>
    Math.max(...[header, ...rows].map((r) => (r[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
