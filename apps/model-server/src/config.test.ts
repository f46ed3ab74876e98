import { describe, expect, it } from 'vitest';
import { BUNDLED_MODEL, ConfigError, defaultThreads, loadConfig } from './config.js';
import { cgroupV1Quota, cgroupV2Quota } from './cpus.js';

describe('loadConfig', () => {
  it('has defaults that serve the bundled model on 8080', () => {
    expect(loadConfig({}, 2)).toEqual({
      port: 8080,
      host: '0.0.0.0',
      modelPath: BUNDLED_MODEL,
      modelName: 'linear-768x2',
      modelVersion: '1',
      predictStrict: false,
      workers: 1,
      intraOpThreads: 1,
      allowSpinning: false,
      workerNice: 10,
      batchMaxSize: 32,
      batchMaxWaitMs: 0,
      emulatedDevice: null,
      maxConcurrency: Number.POSITIVE_INFINITY,
      maxQueue: Number.POSITIVE_INFINITY,
      bodyLimitBytes: 'auto',
      headersTimeoutMs: 10_000,
      bodyTimeoutMs: 10_000,
      keepAliveTimeoutMs: 5_000,
      maxReceiving: 256,
      maxWaitMs: 10_000,
      maxPipelined: 16,
      maxConnectionAgeSeconds: 30,
      writeTimeoutMs: 10_000,
      shutdownDelaySeconds: 5,
      shutdownDrainSeconds: 20,
      gpuProbe: 'auto',
      logLevel: 'info',
    });
  });

  it('reads every variable', () => {
    const config = loadConfig(
      {
        PORT: '9000',
        HOST: '127.0.0.1',
        MODEL_NAME: 'm',
        MODEL_VERSION: '3',
        PREDICT_STRICT: 'true',
        WORKERS: '2',
        ORT_INTRA_OP_THREADS: '4',
        ORT_ALLOW_SPINNING: '1',
        WORKER_NICE: '0',
        BATCH_MAX_SIZE: '64',
        BATCH_MAX_WAIT_MS: '2.5',
        MAX_CONCURRENCY: '8',
        MAX_QUEUE: '0',
        BODY_LIMIT_BYTES: '1000',
        HEADERS_TIMEOUT_MS: '2000',
        BODY_TIMEOUT_MS: '3000',
        KEEP_ALIVE_TIMEOUT_MS: '4000',
        MAX_RECEIVING: '32',
        MAX_WAIT_MS: '250',
        MAX_PIPELINED: '4',
        WRITE_TIMEOUT_MS: '500',
        SHUTDOWN_DELAY_SECONDS: '0',
        SHUTDOWN_DRAIN_SECONDS: '1.5',
        GPU_PROBE: 'OFF',
        LOG_LEVEL: 'warn',
      },
      2,
    );
    expect(config).toMatchObject({
      port: 9000,
      host: '127.0.0.1',
      modelName: 'm',
      modelVersion: '3',
      predictStrict: true,
      workers: 2,
      intraOpThreads: 4,
      allowSpinning: true,
      workerNice: 0,
      batchMaxSize: 64,
      batchMaxWaitMs: 2.5,
      maxConcurrency: 8,
      maxQueue: 0,
      bodyLimitBytes: 1000,
      headersTimeoutMs: 2000,
      bodyTimeoutMs: 3000,
      keepAliveTimeoutMs: 4000,
      maxReceiving: 32,
      maxWaitMs: 250,
      maxPipelined: 4,
      writeTimeoutMs: 500,
      shutdownDelaySeconds: 0,
      shutdownDrainSeconds: 1.5,
      gpuProbe: 'off',
      logLevel: 'warn',
    });
  });

  it('names every bad variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'http',
        MODEL_PATH: '/nope/model.onnx',
        WORKERS: '0',
        BATCH_MAX_SIZE: '1.5',
        BATCH_MAX_WAIT_MS: '-1',
        PREDICT_STRICT: 'maybe',
        GPU_PROBE: 'yes',
        SHUTDOWN_DELAY_SECONDS: 'soon',
        MAX_QUEUE: '-3',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      "MODEL_PATH names no file: '/nope/model.onnx'",
      "BATCH_MAX_WAIT_MS must be a number of milliseconds 0…10000, got '-1'",
      "PORT must be a whole number 0…65535, got 'http'",
      "PREDICT_STRICT must be true or false, got 'maybe'",
      "WORKERS must be a whole number 1…256, got '0'",
      "BATCH_MAX_SIZE must be a whole number 1…65536, got '1.5'",
      "MAX_QUEUE must be a whole number ≥ 0, got '-3'",
      "SHUTDOWN_DELAY_SECONDS must be a number of seconds ≥ 0, got 'soon'",
      "GPU_PROBE must be one of auto, on, off, got 'yes'",
    ]);
    expect((error as Error).message).toMatch(/^invalid configuration: MODEL_PATH/);
  });

  it('takes auto and unlimited where they are meaningful, and checks the new limits', () => {
    expect(loadConfig({ BODY_LIMIT_BYTES: 'auto', MAX_WAIT_MS: 'unlimited' }, 2)).toMatchObject({
      bodyLimitBytes: 'auto',
      maxWaitMs: Number.POSITIVE_INFINITY,
    });
    expect(() =>
      loadConfig({
        BODY_LIMIT_BYTES: '0',
        HEADERS_TIMEOUT_MS: 'soon',
        BODY_TIMEOUT_MS: '10',
        KEEP_ALIVE_TIMEOUT_MS: '-1',
        MAX_RECEIVING: '0',
        MAX_WAIT_MS: '0',
      }),
    ).toThrow(
      "invalid configuration: BODY_LIMIT_BYTES must be a whole number ≥ 1, got '0'; HEADERS_TIMEOUT_MS must be a whole number 100…3600000, got 'soon'; BODY_TIMEOUT_MS must be a whole number 100…3600000, got '10'; KEEP_ALIVE_TIMEOUT_MS must be a whole number 100…3600000, got '-1'; MAX_RECEIVING must be a whole number 1…1000000, got '0'; MAX_WAIT_MS must be a whole number ≥ 1, got '0'",
    );
  });

  it('reads the emulated device, off unless a time is set', () => {
    expect(loadConfig({ EMULATED_DEVICE_MS: '20' }).emulatedDevice).toEqual({
      batchMs: 20,
      rowMs: 0,
    });
    expect(loadConfig({ EMULATED_DEVICE_ROW_MS: '0.5' }).emulatedDevice).toEqual({
      batchMs: 0,
      rowMs: 0.5,
    });
    expect(loadConfig({ EMULATED_DEVICE_MS: '0' }).emulatedDevice).toBeNull();
    expect(() => loadConfig({ EMULATED_DEVICE_MS: 'fast', EMULATED_DEVICE_ROW_MS: '-1' })).toThrow(
      "EMULATED_DEVICE_MS must be a number of milliseconds 0…60000, got 'fast'; EMULATED_DEVICE_ROW_MS must be a number of milliseconds 0…60000, got '-1'",
    );
  });

  it('refuses a model name that cannot be a URL segment', () => {
    expect(() => loadConfig({ MODEL_NAME: 'my model/v1' })).toThrow(/MODEL_NAME must be/);
  });
});

describe('CPU-derived defaults', () => {
  it('keeps a core for the HTTP thread and adds workers on big hosts', () => {
    expect(defaultThreads(1)).toEqual({ workers: 1, intraOpThreads: 1 });
    expect(defaultThreads(2)).toEqual({ workers: 1, intraOpThreads: 1 });
    expect(defaultThreads(4)).toEqual({ workers: 1, intraOpThreads: 3 });
    expect(defaultThreads(16)).toEqual({ workers: 4, intraOpThreads: 3 });
  });

  it('reads cgroup CPU quotas', () => {
    expect(cgroupV2Quota('max 100000')).toBeUndefined();
    expect(cgroupV2Quota('150000 100000')).toBe(1.5);
    expect(cgroupV2Quota(undefined)).toBeUndefined();
    expect(cgroupV1Quota('-1', '100000')).toBeUndefined();
    expect(cgroupV1Quota('200000', '100000')).toBe(2);
  });
});
