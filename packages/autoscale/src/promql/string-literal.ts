/** PromQL string literals, as Prometheus reads them (Go's quoting: `strconv.Unquote`). */

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
};

/**
 * The value of a PromQL string literal: a backquoted one as it is, a single- or double-quoted one
 * with Go's escapes read (`\n`, `\"`, `\x41`, `\u00e9`, `\101`, ...). An unknown escape keeps the
 * escaped character, and a literal without its quotes is returned as it is.
 *
 * @param literal - the literal with its quotes, as it stands in the query
 * @example
 * unquotePromqlString('"a\\"b"'); // 'a"b'
 */
export function unquotePromqlString(literal: string): string {
  const quote = literal[0];
  if (literal.length < 2 || (quote !== '"' && quote !== "'" && quote !== '`')) return literal;
  const body = literal.slice(1, -1);
  if (quote === '`') return body;
  return body.replace(
    /\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)/g,
    (_match, escaped: string) => {
      const head = escaped[0] as string;
      if (head === 'x' || head === 'u' || head === 'U') {
        return String.fromCodePoint(Number.parseInt(escaped.slice(1), 16));
      }
      if (/^[0-7]{3}$/.test(escaped)) return String.fromCodePoint(Number.parseInt(escaped, 8));
      return SIMPLE_ESCAPES[escaped] ?? escaped;
    },
  );
}
