import { describe, expect, it } from 'vitest';
import { parseExposition } from './exposition.js';

describe('parseExposition', () => {
  it('reads families, names and escaped labels', () => {
    const parsed = parseExposition(
      '# TYPE a counter\na_total{x="q\\"uote",y="b"} 1\nb 2 1700000000\nnot a sample line\n',
    );
    expect([...parsed.families]).toEqual([['a', 'counter']]);
    expect([...parsed.names]).toEqual(['a_total', 'b', 'not']);
    expect(parsed.samples[0]?.labels).toEqual({ x: 'q"uote', y: 'b' });
    expect(parsed.samples.map((sample) => sample.value)).toEqual([1, 2, Number.NaN]);
    expect(parseExposition('x_bucket{le="+Inf"} +Inf\n').samples[0]?.value).toBe(
      Number.POSITIVE_INFINITY,
    );
  });
});
