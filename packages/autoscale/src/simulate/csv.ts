/**
 * Reading the time-series CSVs the simulator takes (metric traces and load traces) with csv-parse,
 * so that quoted cells, quoted headers and CRLF line ends (as Grafana and spreadsheets export them)
 * read correctly. Checks shared by both formats live here: a header whose first column is `time`,
 * known and unique column names, numbers in every cell, times strictly increasing. Every error
 * names the line (and the column, where there is one).
 */
import { parse } from 'csv-parse/sync';

/** One data row: its cells by column and the line it started on (1-based, as an editor shows it). */
export interface CsvRow {
  /** 1-based line number in the file. */
  line: number;
  /** Cell text, trimmed, one per header column (missing cells are ''). */
  cells: string[];
}

/** A parsed time-series CSV. */
export interface TimeSeriesCsv {
  /** Header names, trimmed. */
  columns: string[];
  /** Line of the header. */
  headerLine: number;
  /** Rows in file order. */
  rows: CsvRow[];
}

/** A CSV record with the line it ended on, as csv-parse's `info` gives it. */
export interface CsvRecord {
  record: string[];
  info: { lines: number };
}

/**
 * Parses CSV text the way every CSV input of the CLI is read: `#` comments, blank lines skipped,
 * a UTF-8 BOM dropped, cells trimmed, rows of any length. A syntax error (an unclosed quote, say)
 * is rethrown with the message `describe` makes of its line and csv-parse's reason.
 *
 * @param text - the file's text
 * @param describe - the error message from the line (when csv-parse knows it) and the reason
 * @returns the records with their line numbers
 * @example
 * parseCsvRecords('time,rps\n0,1\n', (line, why) => `line ${line}: ${why}`)[1]?.record; // ['0', '1']
 */
export function parseCsvRecords(
  text: string,
  describe: (line: number | undefined, message: string) => string,
): CsvRecord[] {
  try {
    return parse(text, {
      bom: true,
      comment: '#',
      comment_no_infix: true,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
      info: true,
    }) as unknown as CsvRecord[];
  } catch (error) {
    const e = error as Error & { lines?: number };
    throw new Error(describe(e.lines, e.message.replace(/^Invalid [^:]*: /, '')));
  }
}

/**
 * Parses CSV text into a header and rows, with line numbers. `#` lines are comments; blank lines
 * are skipped; a UTF-8 BOM is dropped.
 *
 * @param text - the file's text
 * @param what - what the file is, for messages (`trace CSV`, `load CSV`)
 * @returns header and rows
 * @throws Error naming the line when the CSV is malformed (an unclosed quote, more cells than the header)
 * @example
 * readTimeSeriesCsv('"time","rps"\n0,"100"\n', 'load CSV').rows[0]; // { line: 2, cells: ['0', '100'] }
 */
export function readTimeSeriesCsv(text: string, what: string): TimeSeriesCsv {
  const records = parseCsvRecords(
    text,
    (line, message) => `${what}${line !== undefined ? ` line ${line}` : ''}: ${message}`,
  );
  const header = records.shift();
  if (!header) throw new Error(`${what} is empty: expected a header row such as "time,rps"`);
  const columns = header.record.map((c) => c.trim());
  const headerLine = header.info.lines;
  if (columns[0] !== 'time') {
    throw new Error(
      `${what} line ${headerLine}: the first column must be "time", found "${columns[0] ?? ''}"`,
    );
  }
  columns.forEach((name, i) => {
    if (name === '') throw new Error(`${what} line ${headerLine}: column ${i + 1} has no name`);
    const first = columns.indexOf(name);
    if (first !== i) {
      throw new Error(
        `${what} line ${headerLine}: column "${name}" appears twice (columns ${first + 1} and ${i + 1})`,
      );
    }
  });
  const rows = records.map(({ record, info }) => {
    if (record.length > columns.length) {
      throw new Error(
        `${what} line ${info.lines}: ${record.length} cells but the header has ${columns.length} columns`,
      );
    }
    return { line: info.lines, cells: columns.map((_, i) => (record[i] ?? '').trim()) };
  });
  if (rows.length === 0) throw new Error(`${what} has a header but no rows`);
  return { columns, headerLine, rows };
}

/**
 * Reads a numeric cell.
 *
 * @param row - the row
 * @param index - column index
 * @param column - column name, for the message
 * @param what - file kind, for the message
 * @returns the number, or undefined for an empty cell
 * @throws Error naming the line and column when the cell is not a finite number
 * @example
 * numberCell(row, 1, 'rps', 'load CSV'); // 100
 */
export function numberCell(
  row: CsvRow,
  index: number,
  column: string,
  what: string,
): number | undefined {
  const cell = row.cells[index] ?? '';
  if (cell === '') return undefined;
  const value = Number(cell);
  if (!Number.isFinite(value)) {
    throw new Error(`${what} line ${row.line}, column "${column}": "${cell}" is not a number`);
  }
  return value;
}

/**
 * Checks that times strictly increase, naming the first line that breaks the order.
 *
 * @param times - `[line, time]` in file order
 * @param what - file kind, for the message
 * @throws Error on a repeated or earlier time
 * @example
 * checkIncreasingTimes([[2, 0], [3, 15]], 'trace CSV');
 */
export function checkIncreasingTimes(
  times: readonly (readonly [line: number, time: number])[],
  what: string,
): void {
  for (let i = 1; i < times.length; i++) {
    const [line, time] = times[i] as readonly [number, number];
    const [previousLine, previous] = times[i - 1] as readonly [number, number];
    if (!(time > previous)) {
      throw new Error(
        `${what} line ${line}: time ${time} ${time === previous ? 'repeats' : 'is before'} the time ${previous} of line ${previousLine} (times must strictly increase)`,
      );
    }
  }
}
