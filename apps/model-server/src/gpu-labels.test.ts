// The gpu_* series carry `model` and `version` from MODEL_NAME / MODEL_VERSION, as the serving
// series do: the server passes its model labels to the GPU probe (the fake NVML stands in for the
// driver; compiling it needs a C compiler, and fails saying so without one).
import { compileFakeNvml } from '@mlscale/gpu-probe/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from './server.fixture.js';
import type { RunningServer } from './server.js';

const nvml = compileFakeNvml();
let server: RunningServer;
let base: string;
const saved = process.env.NVML_LIBRARY_PATH;
beforeAll(async () => {
  nvml.setUtilization(0, 64);
  // The server's probe reads NVML_LIBRARY_PATH from the process environment.
  process.env.NVML_LIBRARY_PATH = nvml.libraryPath;
  ({ server, base } = await startTestServer({
    MODEL_NAME: 'sentiment-768x2',
    MODEL_VERSION: '3',
    WORKERS: '1',
    GPU_PROBE: 'on',
  }));
}, 60_000);
afterAll(async () => {
  await server?.shutdown('test over');
  if (saved === undefined) delete process.env.NVML_LIBRARY_PATH;
  else process.env.NVML_LIBRARY_PATH = saved;
  nvml.dispose();
});

describe('per-model labels on the GPU series', () => {
  it('labels every gpu_* series with model and version', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const lines = text.split('\n').filter((line) => line.startsWith('gpu_'));
    expect(lines.length).toBeGreaterThanOrEqual(6);
    for (const line of lines) expect(line).toMatch(/model="sentiment-768x2",version="3"\}/);
    expect(text).toMatch(
      /gpu_utilization_percent\{gpu="0",uuid="GPU-[0-9a-f-]+",model="sentiment-768x2",version="3"\} 64/,
    );
    expect(text).toContain('\ngpu_probe_up{model="sentiment-768x2",version="3"} 1\n');
  });
});
