import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { numberFlag, parseHttpUrl, sloArg } from './args.js';

describe('numberFlag: the one number parser of the CLI', () => {
  it('returns the number within its bounds', () => {
    expect(numberFlag('--x', { min: 0 })('0')).toBe(0);
    expect(numberFlag('--x', { above: 0 })('0.5')).toBe(0.5);
    expect(numberFlag('--x', { min: 1, integer: true })(' 3 ')).toBe(3);
  });

  it.each([
    [numberFlag('--x', { min: 1 }), '0', '--x must be a number >= 1, got "0"'],
    [numberFlag('--x', { above: 0 }), '0', '--x must be a number > 0, got "0"'],
    [numberFlag('--x', { above: 0 }), '-1', '--x must be a number > 0, got "-1"'],
    [
      numberFlag('--x', { min: 1, integer: true }),
      '1.5',
      '--x must be a whole number >= 1, got "1.5"',
    ],
    [numberFlag('--x'), 'soon', '--x must be a number, got "soon"'],
    [numberFlag('--x'), ' ', '--x must be a number, got " "'],
    [numberFlag('--x'), 'Infinity', '--x must be a number, got "Infinity"'],
  ])('refuses with one message shape (%#)', (parse, value, message) => {
    expect(() => parse(value)).toThrow(new InvalidArgumentError(message));
  });
});

describe('sloArg', () => {
  it('parses an objective and refuses a malformed one with a usage error', () => {
    expect(sloArg('p95=200ms')).toEqual({ statistic: 'p95', seconds: 0.2 });
    expect(() => sloArg('p95<200')).toThrow(InvalidArgumentError);
  });
});

describe('parseHttpUrl: the one URL check of the CLI', () => {
  it('takes http and https URLs and says what is wrong with others', () => {
    expect(parseHttpUrl('https://prometheus:9090/x')).toMatchObject({ ok: true });
    expect(parseHttpUrl('localhost:9090')).toEqual({ ok: false, problem: 'not http' });
    expect(parseHttpUrl('not a url')).toEqual({ ok: false, problem: 'not a URL' });
  });
});
