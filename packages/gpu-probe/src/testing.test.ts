import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createGpuProbe } from './index.js';
import { compileFakeNvml, FAKE_NVML_SOURCE } from './testing.js';

describe('compileFakeNvml', () => {
  it('ships the C source in the testing folder', () => {
    expect(FAKE_NVML_SOURCE).toMatch(/testing[/\\]fake-nvml\.c$/);
    expect(existsSync(FAKE_NVML_SOURCE)).toBe(true);
  });

  it('says what to install when there is no C compiler', () => {
    expect(() => compileFakeNvml({ cc: '/nonexistent/cc' })).toThrow(
      /could not compile the fake NVML library with "\/nonexistent\/cc" \(install a C compiler/,
    );
  });

  it('builds separate instances that do not share state, and removes its folder', () => {
    const a = compileFakeNvml();
    const b = compileFakeNvml();
    try {
      expect(a.libraryPath).not.toBe(b.libraryPath);
      a.setUtilization(0, 11);
      b.setUtilization(0, 22);
      const pa = createGpuProbe({ libraryPath: a.libraryPath });
      const pb = createGpuProbe({ libraryPath: b.libraryPath });
      expect(pa.read().devices[0]?.utilization?.gpu).toBe(11);
      expect(pb.read().devices[0]?.utilization?.gpu).toBe(22);
      expect([a.initRefs, b.initRefs]).toEqual([1, 1]);
      pa.close();
      pb.close();
    } finally {
      a.dispose();
      b.dispose();
    }
    expect(existsSync(a.libraryPath)).toBe(false);
  });

  it('refuses values the fake cannot hold', () => {
    const nvml = compileFakeNvml();
    try {
      expect(() => nvml.setDeviceCount(9)).toThrow(RangeError);
      expect(() => nvml.setMemory(0, { total: 1, used: 2 })).toThrow(RangeError);
    } finally {
      nvml.dispose();
    }
  });
});
