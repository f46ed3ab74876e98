import { describe, expect, it } from 'vitest';
import { turnBarrier } from './body.js';

describe('turnBarrier', () => {
  it('lets every caller of one turn wait on one setImmediate, resolved after this turn', async () => {
    const nextTurn = turnBarrier();
    const order: string[] = [];
    const a = nextTurn();
    const b = nextTurn();
    expect(a).toBe(b);
    void a.then(() => order.push('barrier'));
    setImmediate(() => order.push('immediate queued after'));
    await Promise.resolve();
    order.push('same turn');
    await a;
    expect(order.slice(0, 2)).toEqual(['same turn', 'barrier']);
    // The next turn gets a fresh barrier.
    expect(nextTurn()).not.toBe(a);
  });
});
