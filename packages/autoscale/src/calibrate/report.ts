/** Text renderings of a calibration: one line per step while it runs, a table at the end. */
import type { CapacityProfile, CapacityStep } from '../capacity/profile.js';

const ms = (seconds: number) => (Number.isFinite(seconds) ? `${Math.round(seconds * 1000)}` : '-');
const num = (value: number | null, digits = 1) =>
  value === null || !Number.isFinite(value) ? '-' : value.toFixed(digits);

/**
 * One step as a progress line.
 *
 * @example
 * formatStepLine(step); // "offered 200 req/s → 199.8 ok/s  p50 21 p95 38 p99 45 ms  depth 4.1 …"
 */
export function formatStepLine(step: CapacityStep): string {
  const failed = step.rejected + step.errors;
  return [
    `offered ${step.offeredRps} req/s → ${num(step.achievedRps)} ok/s`,
    `p50 ${ms(step.latency.p50)} p95 ${ms(step.latency.p95)} p99 ${ms(step.latency.p99)} ms`,
    `depth ${num(step.server.meanQueueDepth)} wait ${step.server.meanWaitSeconds === null ? '-' : ms(step.server.meanWaitSeconds)} ms batch ${num(step.server.meanBatchSize)}`,
    `${step.rejected} shed ${step.errors} errors`,
    step.saturated
      ? `SATURATED${step.saturatedBecause ? ` (${step.saturatedBecause})` : ''}`
      : failed > 0
        ? 'failures'
        : 'ok',
  ].join('  ');
}

/**
 * The profile's steps as an aligned table.
 *
 * @example
 * console.log(formatProfileTable(profile));
 */
export function formatProfileTable(profile: CapacityProfile): string {
  const header = [
    'offered/s',
    'achieved/s',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'depth',
    'wait ms',
    'batch',
    '503/429',
    'errors',
    '',
  ];
  const rows = profile.steps.map((s) => [
    String(s.offeredRps),
    num(s.achievedRps),
    ms(s.latency.p50),
    ms(s.latency.p95),
    ms(s.latency.p99),
    num(s.server.meanQueueDepth, 2),
    s.server.meanWaitSeconds === null ? '-' : ms(s.server.meanWaitSeconds),
    num(s.server.meanBatchSize, 2),
    String(s.rejected),
    String(s.errors),
    s.saturated ? 'saturated' : '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padStart(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
