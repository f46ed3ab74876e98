import { describe, expect, it } from 'vitest';
import { unquotePromqlString } from './string-literal.js';

describe('unquotePromqlString', () => {
  it("reads Go's escapes in double- and single-quoted literals", () => {
    expect(unquotePromqlString('"a\\"b"')).toBe('a"b');
    expect(unquotePromqlString("'it\\'s'")).toBe("it's");
    expect(unquotePromqlString('"a\\nb\\tc"')).toBe('a\nb\tc');
    expect(unquotePromqlString('"\\x41\\u00e9\\101\\\\"')).toBe('AéA\\');
  });

  it('takes a backquoted literal as it is', () => {
    expect(unquotePromqlString('`a\\nb`')).toBe('a\\nb');
  });

  it('keeps the character of an unknown escape, and text without quotes as it is', () => {
    expect(unquotePromqlString('"a\\.b"')).toBe('a.b');
    expect(unquotePromqlString('plain')).toBe('plain');
  });
});
