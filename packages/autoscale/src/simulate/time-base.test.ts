/**
 * One time base: every t printed is trace time from the trace's start, and a "load step" is said
 * only where the trace has one (or --step-at names it); otherwise figures count from the start and
 * the output says so.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../cli/run-cli.fixture.js';
import { findStep } from './time-base.js';
import { parseTraceCsv } from './trace.js';

const examples = new URL('../../examples/', import.meta.url).pathname;
const guide = join(examples, 'guide-hpa.yaml');
const profile = join(examples, 'capacity/emulated-pod.profile.json');
const dir = mkdtempSync(join(tmpdir(), 'mlscale-time-'));

afterEach(() => vi.restoreAllMocks());

/** A load CSV rising smoothly from 400 to 1600 req/s over 300 s, 10 s a row. */
function smoothRamp(): string {
  const rows = ['time,rps'];
  for (let t = 0; t <= 300; t += 10) rows.push(`${t},${400 + 4 * t}`);
  rows.push('600,1600');
  return rows.join('\n');
}

/** The replay trace of simulate.test, on a recording's clock (seconds since the epoch). */
function epochTrace(start: number): string {
  const rows = ['time,replicas,load,request_queue_depth,each:inference_latency_seconds_avg'];
  for (let t = 0; t <= 900; t += 5) {
    const loaded = t >= 60 && t < 360;
    rows.push(`${start + t},2,${loaded ? 50 : 1},${loaded ? 25 : 0.5},0.005`);
  }
  return rows.join('\n');
}

describe('findStep', () => {
  it('finds a step, and none on a smooth ramp', () => {
    const step = [
      { time: 0, level: 400 },
      { time: 60, level: 1600 },
      { time: 360, level: 400 },
    ];
    expect(findStep(step, 15)).toBe(60);
    const ramp = smoothRamp()
      .split('\n')
      .slice(1)
      .map((row) => row.split(',').map(Number))
      .map(([time, level]) => ({ time: time ?? 0, level }));
    expect(findStep(ramp, 15)).toBeNull();
    expect(findStep([{ time: 0, level: 3 }], 15)).toBeNull();
  });

  it('dates a recorded rise over a few samples to where it starts', () => {
    const depth = [0, 0, 0, 0.7, 1.7, 2.8, 3.8, 4.8, 5.8, 6.8, 7.9, 8.9, 9.9, 15, 15].map(
      (level, i) => ({ time: 10 + i, level }),
    );
    expect(findStep(depth, 15)).toBe(13);
  });
});

describe('simulate --profile on a smooth ramp (the invented step)', () => {
  it('says the load has no step and counts from the start', async () => {
    const load = join(dir, 'ramp.csv');
    writeFileSync(load, smoothRamp());
    const result = await runCli(['simulate', '--profile', profile, '--load', load, '--hpa', guide]);
    expect(result.code).toBe(0);
    expect(result.out).not.toMatch(/load step at/);
    expect(result.out).toContain('no load step in the trace');
    expect(result.out).toMatch(/back under SLO after start\s+first scale-up after start/);
  });

  it('still says where a given --step-at is, in trace time', async () => {
    const load = join(dir, 'ramp.csv');
    writeFileSync(load, smoothRamp());
    const result = await runCli([
      'simulate',
      '--profile',
      profile,
      '--load',
      load,
      '--hpa',
      guide,
      '--step-at',
      '100',
    ]);
    expect(result.out).toContain('load step at t=100s (--step-at)');
  });
});

describe('a trace on a recording clock (seconds since the epoch)', () => {
  it('prints every t from the trace start: the step, the timeline and the chart', async () => {
    const trace = join(dir, 'epoch.csv');
    writeFileSync(trace, epochTrace(1796581711));
    const svg = join(dir, 'epoch.svg');
    const result = await runCli([
      'simulate',
      '--trace',
      trace,
      '--hpa',
      guide,
      '--timeline',
      '--svg',
      svg,
    ]);
    expect(result.code).toBe(0);
    expect(result.out).toContain('load step at t=60s (found in the trace)');
    expect(result.out).not.toMatch(/t=1796/);
    // The first scale-up comes a sync or more after the step, on the same clock.
    const times = [...result.out.matchAll(/ {2}t=(\d+)s {2}/g)].map((m) => Number(m[1]));
    expect(times.length).toBeGreaterThan(0);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(60);
    expect(Math.max(...times)).toBeLessThanOrEqual(900);
    expect(readFileSync(svg, 'utf8')).toContain('seconds from the start of the trace');
  });

  it('puts the step and the timeline of simulate --profile on one clock', async () => {
    const load = join(examples, 'capacity/step-1x-4x.csv');
    const result = await runCli([
      'simulate',
      '--profile',
      profile,
      '--load',
      load,
      '--hpa',
      guide,
      '--timeline',
    ]);
    expect(result.out).toContain('load step at t=60s (found in the trace)');
    const times = [...result.out.matchAll(/ {2}t=(-?\d+)s {2}/g)].map((m) => Number(m[1]));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(60);
  });
});

describe('watch --record', () => {
  let server: Server | undefined;
  afterEach(
    () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
  );

  it('writes trace time from its first sync, the wall clock in a comment', async () => {
    const created = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      const data =
        req.url === '/api/v1/series'
          ? [{ __name__: 'request_queue_depth', namespace: 'default', pod: 'p-0' }]
          : { resultType: 'vector', result: [{ metric: { pod: 'p-0' }, value: [0, '3'] }] };
      req.resume();
      req.on('end', () => res.end(JSON.stringify({ status: 'success', data })));
    });
    server = created;
    await new Promise<void>((resolve) => created.listen(0, '127.0.0.1', resolve));
    const values = join(dir, 'values.yaml');
    writeFileSync(
      values,
      `rules:\n  custom:\n    - seriesQuery: 'request_queue_depth{namespace!="",pod!=""}'\n      resources: {overrides: {namespace: {resource: namespace}, pod: {resource: pod}}}\n      metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)'\n`,
    );
    const record = join(dir, 'rec.csv');
    const result = await runCli([
      'watch',
      '--prometheus',
      `http://127.0.0.1:${(created.address() as AddressInfo).port}`,
      '--hpa',
      guide,
      '--adapter-values',
      values,
      '--count',
      '2',
      '--sync-period',
      '1',
      '--record',
      record,
    ]);
    expect(result.code, result.err).toBe(0);
    const text = readFileSync(record, 'utf8');
    expect(text).toMatch(/^# recorded by mlscale watch from \d{4}-/);
    const trace = parseTraceCsv(text);
    expect(trace.points.map((p) => p.time)).toEqual([0, 1]);
    expect(trace.points.map((p) => p.replicas)).toEqual([1, 1]);
    expect(text.split('\n')[2]).toMatch(/^0,1,/);
  }, 10_000);
});

describe('watch --record without pods', () => {
  let server: Server | undefined;
  afterEach(
    () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
  );

  it('leaves the replica count empty rather than writing a made-up 1', async () => {
    const created = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      const data = req.url === '/api/v1/series' ? [] : { resultType: 'vector', result: [] };
      req.resume();
      req.on('end', () => res.end(JSON.stringify({ status: 'success', data })));
    });
    server = created;
    await new Promise<void>((resolve) => created.listen(0, '127.0.0.1', resolve));
    const values = join(dir, 'values-empty.yaml');
    writeFileSync(
      values,
      `rules:\n  custom:\n    - seriesQuery: 'request_queue_depth{namespace!="",pod!=""}'\n      resources: {overrides: {namespace: {resource: namespace}, pod: {resource: pod}}}\n      metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)'\n`,
    );
    const record = join(dir, 'rec-empty.csv');
    const result = await runCli([
      'watch',
      '--prometheus',
      `http://127.0.0.1:${(created.address() as AddressInfo).port}`,
      '--hpa',
      guide,
      '--adapter-values',
      values,
      '--count',
      '1',
      '--record',
      record,
    ]);
    expect(result.code, result.err).toBe(0);
    expect(readFileSync(record, 'utf8').split('\n')[2]).toMatch(/^0,,/);
  }, 10_000);
});
