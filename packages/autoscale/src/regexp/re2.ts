/**
 * Go's and Prometheus's regular expressions (RE2 syntax and semantics), evaluated with re2js, a
 * maintained pure-JavaScript port of RE2: `(?i)` anywhere, `(?i:...)`, POSIX classes such as
 * `[[:digit:]]`, `\z`, `\Q...\E`, `(?P<name>...)` and `(?U)` mean what they mean to
 * prometheus-adapter (`name.matches`, `seriesFilters`) and Prometheus (`=~`, `!~`). A translation
 * to JavaScript's RegExp cannot: its syntax differs and it would be wrong without an error.
 */
import { RE2JS } from 're2js';
import { fail, ok, type Result } from '../adapter/result.js';

/** A successful match: every capture (index 0 is the whole match) and the named ones. */
export interface Re2Match {
  /** Capture groups by index; `undefined` for a group that did not take part. */
  readonly captures: readonly (string | undefined)[];
  /** Named capture groups (`(?P<name>...)`, `(?<name>...)`). */
  readonly named: Readonly<Record<string, string | undefined>>;
}

/** A compiled RE2 expression. */
export interface Re2Regexp {
  /** The expression as written. */
  readonly source: string;
  /** Number of capture groups (Go's `len(re.SubexpNames()) - 1`). */
  readonly groupCount: number;
  /** Whether it matches anywhere in `input` (Go's `MatchString`). */
  test(input: string): boolean;
  /** The leftmost match in `input` (Go's `FindStringSubmatch`), or `undefined`. */
  exec(input: string): Re2Match | undefined;
}

/**
 * Compiles a Go (RE2) regular expression.
 *
 * @param source - the expression, e.g. `^(.*)_sum$` or `(?i)^http_.*`
 * @returns the compiled expression, or the compiler's message
 * @example
 * const re = compileGoRegexp('^(?P<base>.*)_total$');
 * if (re.ok) re.value.exec('requests_total')?.named.base; // 'requests'
 */
export function compileGoRegexp(source: string): Result<Re2Regexp> {
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (error) {
    return fail(`invalid regular expression "${source}": ${(error as Error).message}`);
  }
  const names = Object.entries(re.namedGroups());
  const groupCount = re.groupCount();
  return ok({
    source,
    groupCount,
    test: (input) => re.test(input),
    exec: (input) => {
      const matcher = re.matcher(input);
      if (!matcher.find()) return undefined;
      const captures: (string | undefined)[] = [];
      for (let i = 0; i <= groupCount; i++) captures.push(matcher.group(i) ?? undefined);
      const named: Record<string, string | undefined> = {};
      for (const [name, index] of names) named[name] = captures[index];
      return { captures, named };
    },
  });
}

/**
 * Compiles the value of a Prometheus `=~`/`!~` label matcher as Prometheus does: anchored at both
 * ends, `.` matching newlines (`^(?s:<value>)$`).
 *
 * @param value - the matcher's string, e.g. `/predict|/v2/.*`
 * @example
 * const re = compileLabelMatcher('/predict|/v2/.*');
 * if (re.ok) re.value.test('/predict'); // true, and false for '/predictions'
 */
export function compileLabelMatcher(value: string): Result<Re2Regexp> {
  const re = compileGoRegexp(`^(?s:${value})$`);
  return re.ok
    ? re
    : fail(`invalid regular expression "${value}": ${re.error.replace(/^.*?": /, '')}`);
}

const nameChar = /[A-Za-z0-9_]/;

/**
 * Expands a Go `Regexp.Expand` template against a match: `$1`, `${1}`, `$name`, `${name}`, `$$`.
 * As in Go, `$1x` means the group named `1x` (empty), an unknown or unmatched group expands to
 * nothing, and a `$` that starts no valid reference is copied as is.
 *
 * @param template - e.g. `${1}_avg`
 * @param match - from {@link Re2Regexp.exec}
 * @example
 * expandGoTemplate('${1}_avg', re.exec('latency_sum')!); // 'latency_avg'
 */
export function expandGoTemplate(template: string, match: Re2Match): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const char = template[i];
    if (char !== '$') {
      out += char;
      i += 1;
      continue;
    }
    const next = template[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    let name = '';
    let end = i + 1;
    if (next === '{') {
      const close = template.indexOf('}', i + 2);
      const inner = close === -1 ? '' : template.slice(i + 2, close);
      if (close !== -1 && inner !== '' && [...inner].every((c) => nameChar.test(c))) {
        name = inner;
        end = close + 1;
      }
    } else {
      while (end < template.length && nameChar.test(template[end] ?? '')) end += 1;
      name = template.slice(i + 1, end);
    }
    if (name === '') {
      out += '$';
      i += 1;
      continue;
    }
    out += groupValue(match, name);
    i = end;
  }
  return out;
}

function groupValue(match: Re2Match, name: string): string {
  if (/^[0-9]+$/.test(name)) return match.captures[Number(name)] ?? '';
  return match.named[name] ?? '';
}
