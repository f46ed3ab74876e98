/** Renderings of a metric-trace simulation: a plain-text table and an SVG chart (chart.ts). */
import { type BlockedNote, blockedBands, formatBlockedNote } from './blocked.js';
import { type ChartPanel, dedupeReferences, renderChart, seriesStyle } from './chart.js';
import type {
  PhaseSummary,
  SimulationReport,
  SimulationSummary,
  TimelineEntry,
} from './simulate.js';
import { formatTable, plural } from './table.js';
import { countsFrom, traceTime } from './time-base.js';

function seconds(value: number | undefined): string {
  return value === undefined ? 'never' : `${Math.round(value)} s`;
}

/**
 * The figures of every config as an aligned text table.
 *
 * @param report - a simulation report
 * @returns the table, one row per config
 * @example
 * console.log(formatSummaryTable(report));
 */
export function formatSummaryTable(report: SimulationReport): string {
  const header = [
    'config',
    `first scale-up after ${countsFrom(report.timeBase)}`,
    'replica-seconds',
    'scale events',
    report.latency
      ? `time ${report.latency.metric} > ${report.latency.target}`
      : 'time above latency target',
    'max replicas',
    'blocked by a missing metric',
  ];
  const rows = report.results.map(({ summary }) => [
    summary.name,
    seconds(summary.timeToFirstScaleUp),
    String(Math.round(summary.replicaSeconds)),
    String(summary.scaleEvents),
    summary.timeAboveLatencyTarget === undefined ? 'n/a' : seconds(summary.timeAboveLatencyTarget),
    String(summary.maxReplicas),
    formatBlockedCell(summary.blocked),
  ]);
  const notes = report.results.flatMap(({ summary }) =>
    summary.blocked.map((note) => `${summary.name}: ${formatBlockedNote(note)}`),
  );
  return [formatTable(header, rows), ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
}

/**
 * The table cell for a config's blocks: `down 450 s` or `-`.
 *
 * @param blocked - the config's notes
 * @returns the cell text
 */
export function formatBlockedCell(blocked: readonly BlockedNote[]): string {
  if (blocked.length === 0) return '-';
  return blocked
    .map(
      (note) =>
        `${note.direction === 'down' ? 'scale-down' : 'all scaling'} ${Math.round(note.seconds)} s (${note.metrics.join(', ')})`,
    )
    .join('; ');
}

/**
 * The figures of {@link sweepSyncPhases} as a text table: the first scale-up's mean, median and
 * range over every sync phase, the scale events' range, and the mean replica-seconds.
 *
 * @param phases - from `sweepSyncPhases`
 * @returns the table
 * @example
 * console.log(formatPhaseTable(sweepSyncPhases(trace, configs)));
 */
export function formatPhaseTable(phases: readonly PhaseSummary[]): string {
  const header = [
    'config',
    'first scale-up: mean',
    'median',
    'min-max',
    'never',
    'scale events',
    'replica-seconds (mean)',
  ];
  const rows = phases.map((p) => [
    p.name,
    p.firstScaleUp ? `${p.firstScaleUp.mean.toFixed(1)} s` : 'never',
    p.firstScaleUp ? seconds(p.firstScaleUp.median) : '-',
    p.firstScaleUp ? `${p.firstScaleUp.min}-${p.firstScaleUp.max} s` : '-',
    `${p.neverScaledUp}/${p.phases}`,
    p.scaleEvents.min === p.scaleEvents.max
      ? String(p.scaleEvents.min)
      : `${p.scaleEvents.min}-${p.scaleEvents.max}`,
    String(Math.round(p.replicaSeconds)),
  ]);
  return formatTable(header, rows);
}

/**
 * The replica timeline of each config as text, one line per sync that changed something.
 *
 * @param report - a simulation report
 * @returns lines such as `guide   t=75s  2 → 4  proposal 8 (...)`, t in trace time from its start
 * @example
 * console.log(formatTimeline(report));
 */
export function formatTimeline(report: SimulationReport): string {
  const lines: string[] = [];
  for (const { summary, timeline } of report.results) {
    for (const entry of timeline) {
      if (!entry.decision.scaled) continue;
      lines.push(
        `${summary.name}  t=${traceTime(report.timeBase, entry.time)}s  ${entry.decision.currentReplicas} → ${entry.replicas}  ${entry.explanation}`,
      );
    }
  }
  return lines.join('\n');
}

/** Metric targets of the configs for one metric: `[config, target]` for each HPA that scales on it. */
function targetsOf(report: SimulationReport, metric: string): { name: string; target: number }[] {
  const out: { name: string; target: number }[] = [];
  for (const { summary, timeline } of report.results) {
    for (const entry of timeline) {
      const found = entry.decision.metrics.find((m) => m.name === metric);
      if (found && Number.isFinite(found.target)) {
        out.push({ name: summary.name, target: found.target });
        break;
      }
    }
  }
  return out;
}

/**
 * The metrics the chart's lower panels show by default: the one that drove each config's decisions
 * (when it is in the trace), in config order without repeats; else the latency metric, else the first.
 *
 * @param report - a simulation report
 * @returns metric names (empty for a report without metrics)
 * @example
 * defaultChartMetrics(report); // ['request_queue_depth', 'request_queue_depth_avg']
 */
export function defaultChartMetrics(report: SimulationReport): string[] {
  const available = new Set(
    report.results.flatMap((r) => r.timeline.flatMap((e) => Object.keys(e.perPod))),
  );
  const driving = [
    ...new Set(
      report.results
        .map((r) => r.summary.drivingMetric)
        .filter((m): m is string => m !== undefined && available.has(m)),
    ),
  ];
  if (driving.length > 0) return driving;
  const fallback = report.latency?.metric ?? [...available][0];
  return fallback ? [fallback] : [];
}

/**
 * An SVG chart: replicas over time (top, with each config's min and max) and metrics per pod
 * (below: by default the metric that drove each config's decisions, with the targets), one color and
 * dash pattern per config, and a note under the chart for each config that a missing or invalid
 * metric kept from scaling.
 *
 * @param report - a simulation report
 * @param options - one metric for the lower panel instead of the deciding ones, and a title
 * @returns the SVG document as a string
 * @throws Error when the metric is not in the report
 * @example
 * writeFileSync('sim.svg', renderSvgChart(report));
 */
export function renderSvgChart(
  report: SimulationReport,
  options: { metric?: string; title?: string } = {},
): string {
  const all = report.results.flatMap((r) => r.timeline);
  const metrics = options.metric ? [options.metric] : defaultChartMetrics(report);
  const base = report.timeBase;
  const x0 = Math.min(...all.map((e) => e.time)) - base.start;
  const x1 = Math.max(...all.map((e) => e.time - base.start), x0 + 1);
  const peak = Math.max(1, ...all.map((e) => e.replicas));
  const lines = report.results.map(({ summary, timeline }, i) => ({
    summary,
    timeline,
    style: seriesStyle(i),
    offset: (i - (report.results.length - 1) / 2) * 2.5,
  }));
  const bounds = lines.flatMap(({ summary, style }) => replicaReferences(summary, style.color));
  const notes = lines.flatMap(({ summary, style }) =>
    summary.blocked.map((note) => ({
      text: `${summary.name}: ${formatBlockedNote(note)}`,
      color: style.color,
    })),
  );
  return renderChart({
    title: options.title ?? 'mlscale simulate: replicas and the deciding metric over time',
    xLabel: 'seconds from the start of the trace',
    x0,
    x1,
    markers: base.step === null ? [] : [{ x: base.stepAt - base.start, label: 'load step' }],
    panels: [
      {
        title: 'replicas (spec.replicas), with min and max',
        integer: true,
        yMax: peak + 1,
        lines: lines.map(({ summary, timeline, style, offset }) => ({
          label: summary.name,
          ...style,
          step: true,
          offsetPx: offset,
          points: timeline.map((e) => [e.time - base.start, e.replicas] as const),
        })),
        references: dedupeReferences(bounds),
        bands: lines.flatMap(({ summary, timeline, style }) =>
          blockedBands(
            timeline.map((e) => e.decision),
            {
              syncPeriodSeconds: report.syncPeriodSeconds,
              minReplicas: summary.replicaBounds.min,
              shift: base.start,
              color: style.color,
            },
          ),
        ),
      },
      ...metrics.map((metric) => metricPanel(report, metric, lines, metrics.length)),
    ],
    legend: lines.map(({ summary, style }) => ({
      label: summary.name,
      ...style,
      lines: [
        `first scale-up ${seconds(summary.timeToFirstScaleUp)} after the ${countsFrom(base)}`,
        `${plural(summary.scaleEvents, 'scale event')}, peak ${summary.maxReplicas}, ${Math.round(summary.replicaSeconds)} pod-s`,
        ...(summary.drivingMetric ? [`driven by ${summary.drivingMetric}`] : []),
      ],
    })),
    notes,
  });
}

/** One config's timeline with its style, as both panels of {@link renderSvgChart} draw it. */
interface ChartedConfig {
  summary: SimulationSummary;
  timeline: readonly TimelineEntry[];
  style: { color: string; dash: string };
  offset: number;
}

/** A metric's per-pod values for every config, with the targets that read it. */
function metricPanel(
  report: SimulationReport,
  metric: string,
  configs: readonly ChartedConfig[],
  panelCount: number,
): ChartPanel {
  const base = report.timeBase;
  return {
    title: `${metric} per pod${
      report.results.some((r) => r.summary.drivingMetric === metric)
        ? `: drove ${report.results
            .filter((r) => r.summary.drivingMetric === metric)
            .map((r) => r.summary.name)
            .join(', ')}`
        : ''
    }`,
    height: panelCount > 1 ? 140 : 170,
    lines: configs.map(({ summary, timeline, style }) => ({
      label: summary.name,
      ...style,
      width: 1.6,
      points: timeline.map((e) => [e.time - base.start, e.perPod[metric]] as const),
    })),
    references: dedupeReferences(
      targetsOf(report, metric).map((t) => ({
        y: t.target,
        label: `target ${t.target} (${t.name})`,
        color: seriesStyle(report.results.findIndex((r) => r.summary.name === t.name)).color,
      })),
    ),
  };
}

/**
 * The min and max replica lines of a config. The chart draws those on its axis and names the
 * others in the panel's title, so that a note and a line never disagree.
 *
 * @param summary - the config's figures
 * @param color - its color
 * @returns reference lines
 */
export function replicaReferences(
  summary: { name: string; replicaBounds: { min: number; max: number } },
  color: string,
): { y: number; label: string; color: string }[] {
  const { min, max } = summary.replicaBounds;
  return [
    { y: min, label: `min ${min} (${summary.name})`, color },
    { y: max, label: `max ${max} (${summary.name})`, color },
  ];
}
