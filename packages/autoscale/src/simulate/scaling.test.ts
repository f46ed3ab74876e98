import { describe, expect, it } from 'vitest';
import { countScaleEvent, scaleDownOrder } from './scaling.js';

describe('scaleDownOrder', () => {
  it('removes pending pods first, then running ones, the newest first within each', () => {
    const pods = [
      { name: 'a', readyAt: 0 },
      { name: 'b', readyAt: 10 },
      { name: 'c', readyAt: 40 },
      { name: 'd', readyAt: 50 },
    ];
    expect(scaleDownOrder(pods, 20).map((p) => p.name)).toEqual(['d', 'c', 'b', 'a']);
    // a pod ready exactly now is running
    expect(scaleDownOrder(pods, 40).map((p) => p.name)).toEqual(['d', 'c', 'b', 'a']);
    const mixed = [
      { name: 'old-pending', readyAt: 30 },
      { name: 'running', readyAt: 0 },
      { name: 'new-pending', readyAt: 45 },
    ];
    expect(scaleDownOrder(mixed, 20).map((p) => p.name)).toEqual([
      'new-pending',
      'old-pending',
      'running',
    ]);
  });
});

describe('countScaleEvent', () => {
  it('counts every event and times only the first scale-up at or after the step', () => {
    const summary: { scaleEvents: number; timeToFirstScaleUp?: number } = { scaleEvents: 0 };
    countScaleEvent(summary, { desiredReplicas: 4 }, 2, 30, 60); // before the step
    expect(summary).toEqual({ scaleEvents: 1 });
    countScaleEvent(summary, { desiredReplicas: 3 }, 4, 75, 60); // a scale-down
    expect(summary).toEqual({ scaleEvents: 2 });
    countScaleEvent(summary, { desiredReplicas: 6 }, 3, 90, 60);
    expect(summary).toEqual({ scaleEvents: 3, timeToFirstScaleUp: 30 });
    countScaleEvent(summary, { desiredReplicas: 8 }, 6, 105, 60);
    expect(summary).toEqual({ scaleEvents: 4, timeToFirstScaleUp: 30 });
  });
});
