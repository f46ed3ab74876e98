import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createGpuProbe, NvmlError, NvmlLoadError, NvmlReturn, openGpuProbe } from './index.js';
import { closeAfterTest, nvml, probe, useFakeNvml } from './probe.fixture.js';

useFakeNvml();

describe('loading NVML', () => {
  it('returns one actionable error listing the path tried when the library is missing', () => {
    const opened = openGpuProbe({ libraryPath: '/nonexistent/libnvidia-ml.so.1' });
    expect(opened.ok).toBe(false);
    if (opened.ok) return;
    expect(opened.error).toBeInstanceOf(NvmlLoadError);
    const error = opened.error as NvmlLoadError;
    expect(error.attempts).toHaveLength(1);
    expect(error.attempts[0]).toMatchObject({
      path: '/nonexistent/libnvidia-ml.so.1',
      source: 'libraryPath option',
    });
    expect(error.message).toContain('/nonexistent/libnvidia-ml.so.1 (libraryPath option):');
    expect(error.message).toContain('NVML_LIBRARY_PATH=');
    expect(error.message).toContain('NVIDIA Container Toolkit');
  });

  it('takes NVML_LIBRARY_PATH from the env option', () => {
    const missing = openGpuProbe({ env: { NVML_LIBRARY_PATH: '/nope/libnvidia-ml.so.1' } });
    expect(!missing.ok && (missing.error as NvmlLoadError).attempts[0]?.source).toBe(
      'NVML_LIBRARY_PATH',
    );
    const found = openGpuProbe({ env: nvml.env });
    expect(found.ok).toBe(true);
    if (found.ok) closeAfterTest(found.probe);
  });

  it('says so when a library loads but is not NVML', () => {
    const opened = openGpuProbe({ libraryPath: 'libc.so.6' });
    expect(opened.ok).toBe(false);
    expect(!opened.ok && opened.error.message).toContain('not a usable NVML library');
  });

  it('createGpuProbe throws the same error', () => {
    expect(() => createGpuProbe({ libraryPath: '/nonexistent/x.so' })).toThrow(NvmlLoadError);
  });

  it('does not load koffi or NVML on import', () => {
    const index = fileURLToPath(new URL('./index.ts', import.meta.url));
    const out = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `import { createRequire } from 'node:module';
         await import(${JSON.stringify(index)});
         const cache = Object.keys(createRequire(import.meta.url).cache);
         console.log(cache.some((k) => k.includes('koffi')) ? 'koffi loaded' : 'clean');`,
      ],
      { env: { ...process.env, NVML_LIBRARY_PATH: '/nonexistent' }, encoding: 'utf8' },
    );
    expect(out.trim()).toBe('clean');
  });

  it('returns a typed error when nvmlInit_v2 fails, and leaves NVML uninitialised', () => {
    nvml.failInit(NvmlReturn.ERROR_DRIVER_NOT_LOADED);
    const opened = openGpuProbe({ libraryPath: nvml.libraryPath });
    expect(opened.ok).toBe(false);
    if (opened.ok) return;
    expect(opened.error).toBeInstanceOf(NvmlError);
    const error = opened.error as NvmlError;
    expect(error.code).toBe(9);
    expect(error.codeName).toBe('ERROR_DRIVER_NOT_LOADED');
    expect(error.nvmlMessage).toBe('Driver Not Loaded');
    expect(error.message).toBe(
      'nvmlInit_v2 failed: Driver Not Loaded (NVML_ERROR_DRIVER_NOT_LOADED, 9)',
    );
    expect(nvml.initRefs).toBe(0);
  });

  it('rejects bad options at construction with a clear message', () => {
    expect(() => probe({ intervalMs: 0 })).toThrow(/intervalMs must be a positive number/);
    expect(() => probe({ devices: ['banana'] })).toThrow(/devices must hold NVML indices/);
  });
});
