/** Renderings of a reactive simulation (`simulate --profile`): a text table, the scale events and an SVG chart. */
import { formatSlo } from '../capacity/slo.js';
import { type BlockedNote, blockedBands, formatBlockedNote } from './blocked.js';
import { type ChartPanel, dedupeReferences, renderChart, seriesStyle } from './chart.js';
import type { ReactiveReport } from './reactive.js';
import { formatBlockedCell, replicaReferences } from './report.js';
import { formatTable, plural } from './table.js';
import { countsFrom, traceTime } from './time-base.js';

function ms(value: number | undefined): string {
  if (value === undefined) return '-';
  if (!Number.isFinite(value)) return 'failed';
  return value >= 10 ? `${value.toFixed(1)} s` : `${Math.round(value * 1000)} ms`;
}

function secs(value: number | undefined, never = 'never'): string {
  return value === undefined ? never : `${Math.round(value)} s`;
}

/**
 * The figures of every config as a text table.
 *
 * @param report - a reactive report
 * @returns the table, then one line per blocked stretch
 * @example
 * console.log(formatReactiveTable(report));
 */
export function formatReactiveTable(report: ReactiveReport): string {
  const header = [
    'config',
    `s over ${formatSlo(report.slo)}`,
    `back under SLO after ${countsFrom(report.timeBase)}`,
    `first scale-up after ${countsFrom(report.timeBase)}`,
    'p95',
    'p99',
    '503s',
    'replica-seconds',
    'scale events',
    'max replicas',
    'blocked by a missing metric',
  ];
  const rows = report.results.map(({ summary }) => [
    summary.name,
    String(summary.sloViolationSeconds),
    secs(summary.recoverySeconds, 'not within the trace'),
    secs(summary.timeToFirstScaleUp),
    ms(summary.p95),
    ms(summary.p99),
    String(Math.round(summary.failed)),
    String(Math.round(summary.replicaSeconds)),
    String(summary.scaleEvents),
    String(summary.maxReplicas),
    formatBlockedCell(summary.blocked),
  ]);
  const notes = report.results.flatMap(({ summary }) =>
    summary.blocked.map((note: BlockedNote) => `${summary.name}: ${formatBlockedNote(note)}`),
  );
  return [formatTable(header, rows), ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
}

/**
 * Every scale event of every config with the HPA's reason.
 *
 * @param report - a reactive report
 * @returns one line per event, t in trace time from its start
 * @example
 * console.log(formatReactiveTimeline(report));
 */
export function formatReactiveTimeline(report: ReactiveReport): string {
  return report.results
    .flatMap(({ summary, syncs }) =>
      syncs
        .filter((s) => s.decision.scaled)
        .map(
          (s) =>
            `${summary.name}  t=${traceTime(report.timeBase, s.time)}s  ${s.decision.currentReplicas} → ${s.replicas}  ${s.explanation}`,
        ),
    )
    .join('\n');
}

function targetOf(report: ReactiveReport, index: number, metric: string): number | undefined {
  for (const sync of report.results[index]?.syncs ?? []) {
    const found = sync.decision.metrics.find((m) => m.name === metric);
    if (found && Number.isFinite(found.target)) return found.target;
  }
  return undefined;
}

/**
 * An SVG chart of a reactive simulation: offered load against the ready pods' capacity, replicas
 * (with min and max), the SLO statistic per second against the objective, and the metric that drove
 * each config's decisions against its target (as a ratio when the configs scale on different
 * metrics). Every config has its own color and dash; notes say when a metric blocked scaling.
 *
 * @param report - a reactive report
 * @param options - a title
 * @returns the SVG document
 * @example
 * writeFileSync('sim.svg', renderReactiveChart(report));
 */
export function renderReactiveChart(
  report: ReactiveReport,
  options: { title?: string } = {},
): string {
  const base = report.timeBase;
  // Charts and timelines share one time base: trace time from its start.
  const stepAt = base.start;
  const first = report.results[0]?.seconds ?? [];
  const styles = report.results.map((_, i) => seriesStyle(i));
  const chart: ReactiveChart = {
    report,
    stepAt,
    style: (i) => styles[i] as { color: string; dash: string },
    offset: (i) => (i - (report.results.length - 1) / 2) * 2.5,
  };
  const notes = report.results.flatMap((r, i) =>
    r.summary.blocked.map((note) => ({
      text: `${r.summary.name}: ${formatBlockedNote(note)}`,
      color: chart.style(i).color,
    })),
  );
  return renderChart({
    title:
      options.title ??
      `mlscale simulate --profile: ${formatSlo(report.slo)}, pods ready ${report.startupDelaySeconds} s after a scale-up`,
    xLabel: 'seconds from the start of the trace',
    x0: (first[0]?.time ?? 0) - stepAt,
    x1: (first[first.length - 1]?.time ?? 1) + 1 - stepAt,
    markers: base.step === null ? [] : [{ x: base.stepAt - base.start, label: 'load step' }],
    panels: [
      servedPanel(chart),
      replicasPanel(chart),
      latencyPanel(chart),
      drivingMetricPanel(chart),
    ],
    legend: report.results.map((r, i) => ({
      label: r.summary.name,
      ...chart.style(i),
      lines: [
        `${r.summary.sloViolationSeconds} s over the SLO; back under ${secs(r.summary.recoverySeconds, 'never')} after the step`,
        `first scale-up ${secs(r.summary.timeToFirstScaleUp)} after the ${countsFrom(base)}; peak ${r.summary.maxReplicas} pods`,
        `${Math.round(r.summary.replicaSeconds)} pod-s, ${Math.round(r.summary.failed)} 503s, ${plural(r.summary.scaleEvents, 'scale event')}`,
        ...(r.summary.drivingMetric ? [`driven by ${r.summary.drivingMetric}`] : []),
      ],
    })),
    notes,
  });
}

/** What every panel of the reactive chart draws with. */
interface ReactiveChart {
  report: ReactiveReport;
  /** Trace time of x = 0. */
  stepAt: number;
  /** The i-th config's color and dash. */
  style: (i: number) => { color: string; dash: string };
  /** The i-th config's vertical offset in pixels, so coinciding step lines stay visible. */
  offset: (i: number) => number;
}

/** Requests/s offered, and what the ready pods of each config serve at most. */
function servedPanel({ report, stepAt, style, offset }: ReactiveChart): ChartPanel {
  const first = report.results[0]?.seconds ?? [];
  return {
    title: `requests/s: offered (grey) and what the ready pods serve at most (${Math.round(report.capacityRps)} each)`,
    height: 130,
    lines: [
      {
        label: 'offered',
        color: '#888',
        dash: '',
        width: 2.5,
        step: true,
        points: first.map((s) => [s.time - stepAt, s.offeredRps] as const),
      },
      ...report.results.map((r, i) => ({
        label: r.summary.name,
        ...style(i),
        width: 1.6,
        step: true,
        offsetPx: offset(i),
        points: r.seconds.map((s) => [s.time - stepAt, s.ready * report.capacityRps] as const),
      })),
    ],
  };
}

/** spec.replicas of each config, its min and max, and where a missing metric blocked scaling. */
function replicasPanel({ report, stepAt, style, offset }: ReactiveChart): ChartPanel {
  const peak = Math.max(1, ...report.results.map((r) => r.summary.maxReplicas));
  return {
    title: 'replicas (spec.replicas), with min and max',
    integer: true,
    yMax: peak + 1,
    height: 150,
    lines: report.results.map((r, i) => ({
      label: r.summary.name,
      ...style(i),
      step: true,
      offsetPx: offset(i),
      points: r.seconds.map((s) => [s.time - stepAt, s.replicas] as const),
    })),
    references: dedupeReferences(
      report.results.flatMap((r, i) => replicaReferences(r.summary, style(i).color)),
    ),
    bands: report.results.flatMap((r, i) =>
      blockedBands(
        r.syncs.map((sync) => sync.decision),
        {
          syncPeriodSeconds: report.syncPeriodSeconds,
          minReplicas: r.summary.replicaBounds.min,
          shift: stepAt,
          color: style(i).color,
        },
      ),
    ),
  };
}

/** The SLO's statistic of each second's requests, against the SLO. */
function latencyPanel({ report, stepAt, style }: ReactiveChart): ChartPanel {
  const statistic = report.slo.statistic;
  const pick = (s: ReactiveReport['results'][number]['seconds'][number]) =>
    statistic === 'p99' ? s.p99 : statistic === 'mean' ? s.mean : s.p95;
  return {
    title: `${statistic} latency of each second's requests (503s count as too slow)`,
    format: (v) => (v >= 1 ? `${Number(v.toPrecision(3))} s` : `${Math.round(v * 1000)} ms`),
    clipAt: Math.max(report.slo.seconds * 5, 0.001),
    lines: report.results.map((r, i) => ({
      label: r.summary.name,
      ...style(i),
      width: 1.6,
      points: r.seconds.map((s) => [s.time - stepAt, pick(s)] as const),
    })),
    references: [{ y: report.slo.seconds, label: `SLO ${formatSlo(report.slo)}`, color: '#555' }],
  };
}

/**
 * The metric that drove the decisions, per pod, when every config was driven by the same one;
 * otherwise each config's driving metric as a multiple of its target.
 */
function drivingMetricPanel({ report, stepAt, style }: ReactiveChart): ChartPanel {
  const driving = report.results.map((r) => r.summary.drivingMetric);
  const same = driving.every((m) => m !== undefined && m === driving[0]);
  if (same) {
    const metric = driving[0] as string;
    return {
      title: `${metric} per pod (mean over pods) at each sync: the metric that drove the decisions`,
      lines: report.results.map((r, i) => ({
        label: r.summary.name,
        ...style(i),
        width: 1.6,
        step: true,
        points: r.syncs.map((s) => [s.time - stepAt, s.seen[metric]] as const),
      })),
      references: [
        ...new Map(
          report.results.map((_result, i) => {
            const t = targetOf(report, i, metric);
            return [t, { y: t ?? 0, label: `target ${t}`, color: '#555' }] as const;
          }),
        ).values(),
      ].filter((ref) => ref.y > 0),
      clipAt: 5 * Math.max(1, ...report.results.map((_, i) => targetOf(report, i, metric) ?? 1)),
    };
  }
  return {
    title: 'the metric that drove each config, as a multiple of its target (1 = at target)',
    lines: report.results.map((r, i) => {
      const metric = r.summary.drivingMetric;
      const target = metric ? targetOf(report, i, metric) : undefined;
      return {
        label: `${r.summary.name}: ${metric ?? 'none'}`,
        ...style(i),
        width: 1.6,
        step: true,
        points: r.syncs.map((s) => {
          const v = metric ? s.seen[metric] : undefined;
          return [s.time - stepAt, v !== undefined && target ? v / target : undefined] as const;
        }),
      };
    }),
    references: [{ y: 1, label: 'target', color: '#555' }],
    clipAt: 5,
  };
}
