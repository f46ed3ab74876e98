// `emulated_device_info`: the emulated device on /metrics (kept apart from emulated-device.ts,
// which the workers load and which must not pull in prom-client).
import { SERIES } from '@mlscale/metric-contract';
import { Gauge, type Registry } from 'prom-client';
import type { EmulatedDevice } from './emulated-device.js';

/**
 * Exports `emulated_device_info{batch_ms,row_ms} 1`, so a scrape (and `mlscale calibrate`) can
 * never mistake an emulated pod's capacity for a real model's.
 *
 * @param registry - the server's registry
 * @param device - the device's settings
 * @example
 * registerEmulatedDeviceInfo(registry, { batchMs: 20, rowMs: 0 });
 */
export function registerEmulatedDeviceInfo(registry: Registry, device: EmulatedDevice): void {
  const info =
    (registry.getSingleMetric(SERIES.emulatedDevice.name) as
      | Gauge<'batch_ms' | 'row_ms'>
      | undefined) ??
    new Gauge({
      name: SERIES.emulatedDevice.name,
      help: SERIES.emulatedDevice.help,
      labelNames: [...SERIES.emulatedDevice.labels],
      registers: [registry],
    });
  info.set({ batch_ms: String(device.batchMs), row_ms: String(device.rowMs) }, 1);
}
