/** Validators for flag values: each returns the parsed value or throws commander's InvalidArgumentError (exit 2). */
import { InvalidArgumentError } from 'commander';
import { type LatencySlo, parseSlo } from '../capacity/slo.js';
import { compileGoRegexp } from '../regexp/re2.js';

/**
 * A number flag: at least `min`, or above `above`, or a whole number. Every number flag of the CLI
 * parses with this one, so every refusal reads the same: `--x must be a number >= 1, got "0"`.
 *
 * @param name - the flag, as the message names it
 * @param bounds - `min` (inclusive), `above` (exclusive), `integer` (whole numbers only)
 * @example .option('--timeout <s>', 'seconds', numberFlag('--timeout', { above: 0 }))
 */
export function numberFlag(
  name: string,
  { min = Number.NEGATIVE_INFINITY, above = Number.NEGATIVE_INFINITY, integer = false } = {},
) {
  const bound =
    above > Number.NEGATIVE_INFINITY
      ? ` > ${above}`
      : min > Number.NEGATIVE_INFINITY
        ? ` >= ${min}`
        : '';
  return (value: string): number => {
    const n = Number(value);
    if (
      value.trim() === '' ||
      !Number.isFinite(n) ||
      n < min ||
      !(n > above) ||
      (integer && !Number.isInteger(n))
    ) {
      throw new InvalidArgumentError(
        `${name} must be ${integer ? 'a whole number' : 'a number'}${bound}, got "${value}"`,
      );
    }
    return n;
  };
}

/**
 * Commander parser for `--slo p95=200ms`.
 *
 * @param value - the flag value
 * @returns the SLO
 * @throws InvalidArgumentError (a usage error) naming what is expected
 */
export function sloArg(value: string): LatencySlo {
  const parsed = parseSlo(value);
  if (!parsed.ok) throw new InvalidArgumentError(parsed.error);
  return parsed.value;
}

/**
 * Parses an http or https URL: the one check behind every URL the CLI takes (each command words
 * its own message).
 *
 * @param value - what the user gave
 * @returns the URL, or which problem it has
 * @example
 * parseHttpUrl('localhost:9090'); // { ok: false, problem: 'not http' }
 */
export function parseHttpUrl(
  value: string,
): { ok: true; url: URL } | { ok: false; problem: 'not a URL' | 'not http' } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, problem: 'not a URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { ok: false, problem: 'not http' };
  return { ok: true, url };
}

/** An http(s) URL flag. */
export function urlFlag(name: string) {
  return (value: string): string => {
    const parsed = parseHttpUrl(value);
    if (parsed.ok) return value;
    throw new InvalidArgumentError(
      parsed.problem === 'not a URL'
        ? `${name} must be a URL such as http://127.0.0.1:9090, got "${value}"`
        : `${name} must be an http:// or https:// URL, got "${value}"`,
    );
  };
}

/** A Kubernetes object name or namespace (DNS-1123 label for namespaces, subdomain for names). */
export function kubernetesName(name: string, { label = false } = {}) {
  const pattern = label
    ? /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/
    : /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
  return (value: string): string => {
    if (!pattern.test(value)) {
      throw new InvalidArgumentError(
        `${name} must be a Kubernetes ${label ? 'namespace (lower-case letters, digits and -, at most 63)' : 'name (lower-case letters, digits, - and .)'}, got "${value}"`,
      );
    }
    return value;
  };
}

/** An environment variable name, or the empty string (none). */
export function envName(name: string) {
  return (value: string): string => {
    if (value !== '' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) {
      throw new InvalidArgumentError(
        `${name} must be an environment variable name (or "" for none), got "${value}"`,
      );
    }
    return value;
  };
}

/** An RE2 regular expression. */
export function re2Flag(name: string) {
  return (value: string): string => {
    const re = compileGoRegexp(value);
    if (!re.ok) throw new InvalidArgumentError(`${name}: ${re.error}`);
    return value;
  };
}

/** An absolute URL path (`/metrics`). */
export function urlPath(name: string) {
  return (value: string): string => {
    if (!value.startsWith('/'))
      throw new InvalidArgumentError(`${name} must start with /, got "${value}"`);
    return value;
  };
}

/**
 * Parses a duration flag: seconds (`90`, `1.5`) or with a unit (`30s`, `15m`, `1h`, `1h30m`).
 *
 * @param name - the flag, for the message
 * @returns the parser
 * @example
 * durationArg('--from')('30m'); // 1800
 */
export function durationArg(name: string) {
  return (value: string): number => {
    const text = value.trim();
    if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
    const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
    if (parts.length > 0 && parts.map((p) => p[0]).join('') === text) {
      const unit = { ms: 0.001, s: 1, m: 60, h: 3600 } as const;
      return parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2] as keyof typeof unit], 0);
    }
    throw new InvalidArgumentError(
      `${name} must be seconds or a duration such as 90, 30s, 15m or 1h30m (got "${value}")`,
    );
  };
}

/**
 * Parses a time flag: epoch seconds, an ISO date, or relative to now (`-15m`, `-2h`, `-30s`, `now`).
 *
 * @param value - the flag value
 * @param now - current time in seconds
 * @returns epoch seconds
 */
export function parseTimeArg(value: string, now = Date.now() / 1000): number {
  if (value === 'now') return now;
  const relative = /^-(\d+(?:\.\d+)?)(s|m|h)$/.exec(value);
  if (relative)
    return now - Number(relative[1]) * { s: 1, m: 60, h: 3600 }[relative[2] as 's' | 'm' | 'h'];
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const date = Date.parse(value);
  if (Number.isNaN(date))
    throw new InvalidArgumentError(
      `"${value}" is not a time (epoch seconds, ISO date, "now" or "-15m")`,
    );
  return date / 1000;
}
