/** One sample line of a Prometheus text exposition. */
export interface ExposedSample {
  /** Sample name, suffix included (`x_bucket`, `x_total`). */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The sample's value (`+Inf`, `-Inf` and `NaN` as numbers; NaN where the line has no number). */
  readonly value: number;
}

/** What a `/metrics` page holds: metric families with their types, and every sample. */
export interface Exposition {
  /** Family name to type (`counter`, `gauge`, `histogram`, `summary`, `untyped`...). */
  readonly families: ReadonlyMap<string, string>;
  readonly samples: readonly ExposedSample[];
  /** Distinct sample names. */
  readonly names: ReadonlySet<string>;
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const re = /\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/gy;
  for (let match = re.exec(text); match; match = re.exec(text)) {
    const [, name, raw] = match;
    if (name === undefined || raw === undefined) continue;
    labels[name] = raw.replace(/\\(n|\\|")/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

function sampleValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/**
 * Parses the Prometheus text format (and the OpenMetrics text format, which shares its sample
 * lines) far enough to know which series a scrape would store. Malformed lines are skipped.
 *
 * @param text - the body of a `/metrics` response
 * @example
 * parseExposition('# TYPE x counter\nx_total{a="b"} 1\n').names; // Set {'x_total'}
 */
export function parseExposition(text: string): Exposition {
  const families = new Map<string, string>();
  const samples: ExposedSample[] = [];
  const names = new Set<string>();
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const type = /^#\s*TYPE\s+(\S+)\s+(\S+)/.exec(line);
      if (type?.[1] && type[2]) families.set(type[1], type[2]);
      continue;
    }
    const sample = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!sample?.[1]) continue;
    const name = sample[1];
    samples.push({
      name,
      labels: sample[3] ? parseLabels(sample[3]) : {},
      value: sampleValue(sample[4] ?? ''),
    });
    names.add(name);
  }
  return { families, samples, names };
}
