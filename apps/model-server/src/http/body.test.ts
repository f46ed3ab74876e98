import { describe, expect, it } from 'vitest';
import { turnBarrier } from './body.js';

describe('turnBarrier', () => {
  it('resumes its callers after the I/O of this turn, in arrival order', async () => {
    const nextTurn = turnBarrier();
    const order: string[] = [];
    const a = nextTurn().then(() => order.push('a'));
    const b = nextTurn().then(() => order.push('b'));
    await Promise.resolve();
    order.push('same turn');
    await Promise.all([a, b]);
    expect(order).toEqual(['same turn', 'a', 'b']);
  });

  it('past its budget, resumes the rest in the next iteration, after what that one queued', async () => {
    let clock = 0;
    const nextTurn = turnBarrier({ budgetMs: 5, now: () => clock });
    const order: string[] = [];
    // Each caller's work takes 3 ms of the phase.
    const callers = ['a', 'b', 'c', 'd'].map((name) =>
      nextTurn().then(() => {
        order.push(name);
        clock += 3;
        if (name === 'a') setImmediate(() => order.push('next iteration'));
      }),
    );
    await Promise.all(callers);
    // a (0 → 3 ms) and b (3 → 6 ms) fit; c and d find the budget spent and wait for the next
    // iteration, behind what a queued there.
    expect(order).toEqual(['a', 'b', 'next iteration', 'c', 'd']);
  });
});
