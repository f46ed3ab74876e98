import { fail, ok, type Result } from './result.js';

/**
 * Compiles a Go (RE2) regular expression as the adapter writes them into a JavaScript RegExp:
 * `(?P<name>…)` becomes `(?<name>…)` and a leading `(?i)`/`(?s)`/`(?m)` becomes a flag.
 *
 * @param source - the Go expression, e.g. `^(.*)_sum$`
 * @example
 * compileGoRegexp('(?i)^(.*)_total$'); // { ok: true, value: /^(.*)_total$/i }
 */
export function compileGoRegexp(source: string): Result<RegExp> {
  let body = source;
  let flags = '';
  const leading = /^\(\?([ims]+)\)/.exec(body);
  if (leading?.[1]) {
    flags = [...new Set(leading[1])].join('');
    body = body.slice(leading[0].length);
  }
  body = body.replace(/\(\?P</g, '(?<');
  try {
    return ok(new RegExp(body, flags));
  } catch (error) {
    return fail(`invalid regular expression "${source}": ${(error as Error).message}`);
  }
}

/** How many capture groups an expression has (Go's `len(re.SubexpNames()) - 1`). */
export function captureGroupCount(re: RegExp): number {
  const match = new RegExp(`${re.source}|`, re.flags).exec('');
  return match ? match.length - 1 : 0;
}

const nameChar = /[A-Za-z0-9_]/;

/**
 * Expands a Go `Regexp.Expand` template against a match: `$1`, `${1}`, `$name`, `${name}`, `$$`.
 * As in Go, `$1x` means the group named `1x` (empty), an unknown or unmatched group expands to
 * nothing, and a `$` that starts no valid reference is copied as is.
 *
 * @param template - e.g. `${1}_avg`
 * @param match - the result of `RegExp.exec`
 * @example
 * expandGoTemplate('${1}_avg', /^(.*)_sum$/.exec('latency_sum')!); // 'latency_avg'
 */
export function expandGoTemplate(template: string, match: RegExpExecArray): string {
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

function groupValue(match: RegExpExecArray, name: string): string {
  if (/^[0-9]+$/.test(name)) return match[Number(name)] ?? '';
  return match.groups?.[name] ?? '';
}
