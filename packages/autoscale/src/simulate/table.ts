/** Plain-text tables, as the simulate reports print them. */

/**
 * Formats rows under a header: each column padded to its widest cell, two spaces between columns,
 * a dashed rule under the header, no trailing blanks.
 *
 * @param header - the column names
 * @param rows - the cells, one array a row (a missing cell counts as empty)
 * @returns the lines, joined with `\n`
 * @example
 * formatTable(['config', 'replicas'], [['guide', '4']]);
 * // 'config  replicas\n------  --------\nguide   4'
 */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/**
 * A count with its noun, singular for one: `1 scale event`, `3 scale events`.
 *
 * @example plural(1, 'scale event'); // '1 scale event'
 */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
