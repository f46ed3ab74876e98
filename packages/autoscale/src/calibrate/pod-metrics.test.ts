import { describe, expect, it } from 'vitest';
import { readPodCounters, serverView } from './pod-metrics.js';

const page = (depthSeconds: number, wait: [number, number], batch: [number, number]) => `
# TYPE request_queue_depth_seconds_total counter
request_queue_depth_seconds_total ${depthSeconds}
# TYPE request_queue_wait_seconds histogram
request_queue_wait_seconds_bucket{le="+Inf"} ${wait[1]}
request_queue_wait_seconds_sum ${wait[0]}
request_queue_wait_seconds_count ${wait[1]}
# TYPE inference_batch_size histogram
inference_batch_size_sum ${batch[0]}
inference_batch_size_count ${batch[1]}
# TYPE emulated_device_info gauge
emulated_device_info{batch_ms="20",row_ms="0.5"} 1
`;

describe("the pod's view of a window", () => {
  it('takes the mean depth from the integral, and means from sums and counts', () => {
    const before = readPodCounters(page(100, [2, 100], [300, 100]), 10);
    const after = readPodCounters(page(140, [3, 150], [700, 150]), 20);
    expect(before.emulatedDevice).toEqual({ batchMs: 20, rowMs: 0.5 });
    expect(serverView(before, after)).toEqual({
      meanQueueDepth: 4, // 40 depth-seconds over 10 s
      meanWaitSeconds: 0.02, // 1 s over 50 requests
      meanBatchSize: 8, // 400 rows over 50 runs
      meanInferenceSeconds: null, // not exported
    });
  });

  it('says null, not 0, when nothing was observed or the pod exports nothing', () => {
    const empty = readPodCounters('', 0);
    expect(empty.emulatedDevice).toBeNull();
    expect(serverView(empty, readPodCounters('', 5)).meanQueueDepth).toBeNull();
    const same = readPodCounters(page(1, [0, 3], [3, 3]), 0);
    expect(serverView(same, { ...same, atSeconds: 5 }).meanBatchSize).toBeNull();
    expect(serverView(same, { ...same, atSeconds: 5 }).meanQueueDepth).toBe(0);
  });
});
