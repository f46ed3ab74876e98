import { describe, expect, it } from 'vitest';
import { violationFigures } from './violation-figures.js';

const timeline = (flags: string) =>
  [...flags].map((flag, time) => ({ time, violation: flag === 'x' }));

describe('violationFigures', () => {
  it('counts the seconds over the objective, before the step too', () => {
    expect(violationFigures(timeline('x..xx.'), 2).sloViolationSeconds).toBe(3);
  });

  it('recovers when the first second under the objective after the first violation since the step comes', () => {
    expect(violationFigures(timeline('x..xx.'), 2)).toEqual({
      sloViolationSeconds: 3,
      recoverySeconds: 3,
    });
  });

  it('is 0 when nothing went over after the step, undefined when it never came back', () => {
    expect(violationFigures(timeline('x.....'), 2).recoverySeconds).toBe(0);
    expect(violationFigures(timeline('...xxx'), 2).recoverySeconds).toBeUndefined();
  });
});
