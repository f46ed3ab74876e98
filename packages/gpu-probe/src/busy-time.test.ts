import { describe, expect, it } from 'vitest';
import { advance, nvml, probe, useFakeNvml } from './probe.fixture.js';

useFakeNvml();

describe('busy time', () => {
  it('integrates utilization × elapsed time where there is no sample buffer', () => {
    nvml.setUtilization(0, 40);
    const p = probe();
    p.read(); // baseline
    advance(10_000);
    expect(p.read().devices[0]?.busySecondsTotal).toBeCloseTo(4, 9);
    nvml.setUtilization(0, 100);
    advance(5_000);
    expect(p.read().devices[0]).toMatchObject({ busySecondsTotal: 9, busySource: 'utilization' });
  });

  it('integrates the driver sample buffer between reads, counting each sample once', () => {
    nvml.setUtilization(0, 0); // the instantaneous value must not matter
    const t0 = 1_700_000_000_000_000;
    nvml.pushSample(0, t0, 10); // history before the probe started: not counted
    const p = probe();
    expect(p.read().devices[0]).toMatchObject({ busySecondsTotal: 0, busySource: 'samples' });
    // 6 samples per second, 100 % then 50 %
    for (let i = 1; i <= 6; i++) nvml.pushSample(0, t0 + (i * 1e6) / 6, i <= 3 ? 100 : 50);
    expect(p.read().devices[0]?.busySecondsTotal).toBeCloseTo(0.75, 9);
    expect(p.read().devices[0]?.busySecondsTotal).toBeCloseTo(0.75, 9); // nothing new: NOT_FOUND
    nvml.pushSample(0, t0 + 1e6 + 500_000, 20); // one sample 0.5 s later
    expect(p.read().devices[0]?.busySecondsTotal).toBeCloseTo(0.85, 9);
  });

  it('grows its sample buffer when the driver holds more samples than it fits', () => {
    const t0 = 1e12;
    nvml.pushSample(0, t0, 0);
    const p = probe();
    p.read();
    // 180 samples 100 ms apart at 50 %: 18 s × 50 % = 9 busy seconds
    for (let i = 1; i <= 180; i++) nvml.pushSample(0, t0 + i * 100_000, 50);
    const result = p.read();
    expect(result.ok).toBe(true);
    expect(result.devices[0]?.busySecondsTotal).toBeCloseTo(9, 9);
  });

  it('fills a gap longer than one sample period with the mean of the returned samples', () => {
    const t0 = 1e12;
    nvml.pushSample(0, t0, 0);
    const p = probe();
    p.read();
    nvml.pushSample(0, t0 + 3e6, 60); // 3 s gap, only one sample returned: 3 s × 60 %
    expect(p.read().devices[0]?.busySecondsTotal).toBeCloseTo(1.8, 9);
  });

  it('keeps the counter across a lost GPU and does not count the lost stretch', () => {
    nvml.setUtilization(0, 100);
    const p = probe();
    p.read();
    advance(1000);
    expect(p.read().devices[0]?.busySecondsTotal).toBe(1);
    nvml.loseDevice(0);
    advance(60_000);
    p.read();
    nvml.restoreDevice(0);
    advance(1000);
    expect(p.read().devices[0]?.busySecondsTotal).toBe(1); // new baseline after re-init
    advance(1000);
    expect(p.read().devices[0]?.busySecondsTotal).toBe(2);
  });
});
