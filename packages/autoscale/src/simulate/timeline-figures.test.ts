import { describe, expect, it } from 'vitest';
import { timelineFigures } from './timeline-figures.js';

const timeline = (flags: string, pods = 2) =>
  [...flags].map((flag, time) => ({ time, violation: flag === 'x', pods }));

describe('timelineFigures', () => {
  it('counts the seconds over the objective, before the step too', () => {
    expect(timelineFigures(timeline('x..xx.'), 2).sloViolationSeconds).toBe(3);
  });

  it('recovers when the first second under the objective after the first violation since the step comes', () => {
    expect(timelineFigures(timeline('x..xx.'), 2)).toEqual({
      sloViolationSeconds: 3,
      recoverySeconds: 3,
      replicaSeconds: 12,
    });
  });

  it('is 0 when nothing went over after the step, undefined when it never came back', () => {
    expect(timelineFigures(timeline('x.....'), 2).recoverySeconds).toBe(0);
    expect(timelineFigures(timeline('...xxx'), 2).recoverySeconds).toBeUndefined();
  });

  it('counts each second its pods at its end, for one second', () => {
    const seconds = [1, 1, 3, 3, 2].map((pods, time) => ({ time, violation: false, pods }));
    expect(timelineFigures(seconds, 0).replicaSeconds).toBe(10);
  });
});
