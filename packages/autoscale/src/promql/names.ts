import { parser } from '@prometheus-io/lezer-promql';
import { unquotePromqlString } from './string-literal.js';

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

/**
 * Parses PromQL with `@prometheus-io/lezer-promql`. Its grammar (Prometheus 3.x) lists function
 * names, and Prometheus 3.0 renamed `holt_winters` (2.x, what Debian and many clusters run) to
 * `double_exponential_smoothing`: for the parse only, each call of the 2.x name is spelled as a
 * function the grammar knows of the same length, so every position stays where it was. Readers of
 * the tree take names from the query's own text, so they see `holt_winters`.
 *
 * @param query - PromQL text
 * @returns the syntax tree
 */
export function parsePromql(query: string): ReturnType<typeof parser.parse> {
  return parser.parse(query.replace(/\bholt_winters(?=\s*\()/g, 'day_of_month'));
}

/**
 * Lists the metric names an expression selects, in order of appearance and without repeats: the
 * identifier of each series selector, or its `__name__="..."` matcher. Regex name matchers are left out.
 *
 * @param query - PromQL text (it need not be valid; what parses is read)
 * @example
 * metricNamesInQuery('rate(a_sum[2m]) / rate(a_count[2m])'); // ['a_sum', 'a_count']
 */
export function metricNamesInQuery(query: string): string[] {
  const names: string[] = [];
  const add = (name: string) => {
    if (name && !names.includes(name)) names.push(name);
  };
  const cursor = parsePromql(query).cursor();
  do {
    if (cursor.name !== 'VectorSelector') continue;
    const node: SyntaxNode = cursor.node;
    const identifier = node.getChild('Identifier');
    if (identifier) {
      add(query.slice(identifier.from, identifier.to));
      continue;
    }
    const matchers = node.getChild('LabelMatchers');
    for (const matcher of matchers?.getChildren('UnquotedLabelMatcher') ?? []) {
      const label = matcher.getChild('LabelName');
      const op = matcher.getChild('MatchOp');
      const value = matcher.getChild('StringLiteral');
      if (!label || !op || !value) continue;
      if (query.slice(label.from, label.to) !== '__name__') continue;
      if (query.slice(op.from, op.to) !== '=') continue;
      add(unquotePromqlString(query.slice(value.from, value.to)));
    }
  } while (cursor.next());
  return names;
}
