import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { startServer } from '../server.js';
import { registerEmulatedDeviceInfo } from './emulated-device-info.js';
import { type BatchEvent, InferencePool } from './pool.js';
import type { TensorData } from './tensors.js';

const linearPath = fileURLToPath(new URL('../../models/linear-768x2.onnx', import.meta.url));

function rows(n: number): TensorData {
  return { type: 'float32', dims: [n, 768], data: new Float32Array(n * 768).fill(0.01) };
}

describe('the emulated device', () => {
  it('holds the worker batchMs + rowMs × rows on top of the model, and counts it as the run', async () => {
    const batches: BatchEvent[] = [];
    const pool = await InferencePool.start({
      modelPath: linearPath,
      emulatedDevice: { batchMs: 40, rowMs: 10 },
      onBatch: (e) => batches.push(e),
    });
    try {
      const t0 = performance.now();
      const result = await pool.infer({ input: rows(4) });
      const wall = performance.now() - t0;
      expect(result.outputs.output?.dims).toEqual([4, 2]); // the real model still ran
      // 40 + 4 × 10 ms at least (a lower bound: holds on any machine).
      expect(result.seconds).toBeGreaterThanOrEqual(0.079);
      expect(wall).toBeGreaterThanOrEqual(79);
      expect(batches).toEqual([{ rows: 4, requests: 1, seconds: result.seconds }]);
    } finally {
      await pool.close();
    }
  });

  it('waits without burning CPU', async () => {
    const pool = await InferencePool.start({
      modelPath: linearPath,
      emulatedDevice: { batchMs: 300, rowMs: 0 },
    });
    try {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await pool.infer({ input: rows(1) });
      const wallMs = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const cpuMs = (cpu.user + cpu.system) / 1000;
      expect(wallMs).toBeGreaterThanOrEqual(299);
      // A spinning wait would use ~300 ms of CPU on the worker thread; a sleeping one next to none.
      expect(cpuMs).toBeLessThan(100);
    } finally {
      await pool.close();
    }
  });

  it('refuses negative times at start', async () => {
    await expect(
      InferencePool.start({ modelPath: linearPath, emulatedDevice: { batchMs: -1, rowMs: 0 } }),
    ).rejects.toThrow(/emulatedDevice times must be ≥ 0 ms/);
  });

  it('is reported on /metrics as emulated_device_info', async () => {
    const registry = new Registry();
    registerEmulatedDeviceInfo(registry, { batchMs: 20, rowMs: 0.5 });
    registerEmulatedDeviceInfo(registry, { batchMs: 20, rowMs: 0.5 }); // twice on one registry: no throw
    expect(await registry.metrics()).toContain(
      'emulated_device_info{batch_ms="20",row_ms="0.5"} 1',
    );
  });

  it('is on the server’s /metrics and in its start-up log only when configured', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'info' },
      { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
    );
    const scrape = async (env: Record<string, string>) => {
      const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', GPU_PROBE: 'off', ...env });
      const server = await startServer({ config, logger });
      try {
        await server.ready;
        return await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
      } finally {
        await server.shutdown('test');
      }
    };
    const on = await scrape({
      EMULATED_DEVICE_MS: '20',
      BATCH_MAX_SIZE: '8',
      SHUTDOWN_DELAY_SECONDS: '0',
    });
    expect(on).toContain('emulated_device_info{batch_ms="20",row_ms="0"} 1');
    expect(lines.find((l) => String(l.msg).startsWith('EMULATED DEVICE'))).toMatchObject({
      level: 40,
      emulatedDevice: { batchMs: 20, rowMs: 0 },
    });
    expect(lines.find((l) => l.msg === 'model warm; ready')).toMatchObject({
      emulatedDevice: { batchMs: 20, rowMs: 0 },
    });
    lines.length = 0;
    const off = await scrape({ SHUTDOWN_DELAY_SECONDS: '0' });
    expect(off).not.toContain('emulated_device_info');
    expect(lines.find((l) => l.msg === 'model warm; ready')).toMatchObject({
      emulatedDevice: 'off',
    });
  });
});
