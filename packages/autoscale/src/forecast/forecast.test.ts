import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FORECAST_METRICS } from '@mlscale/metric-contract';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseAdapterValues } from '../adapter/rules.js';
import { podModel } from '../capacity/model.js';
import type { CapacityProfile } from '../capacity/profile.js';
import { planForecast } from '../plan/forecast.js';
import { planAutoscaling } from '../plan/plan.js';
import { renderPlan } from '../plan/render.js';
import type { LoadTrace } from '../simulate/load.js';
import { type ReactiveConfig, simulateReactive } from '../simulate/reactive.js';
import { type Signal, signalFromQuery, signalsFromRules } from '../simulate/signals.js';
import { type ForecastMethod, forecastFromQuery, forecastQuery } from './signal.js';

const profile = JSON.parse(
  readFileSync(
    fileURLToPath(new URL('../../examples/capacity/e2e-pod.profile.json', import.meta.url)),
    'utf8',
  ),
) as CapacityProfile;
const pod = podModel(profile);
const slo = { statistic: 'p95', seconds: 0.2 } as const;
const timings = { startupSeconds: 120, syncPeriodSeconds: 15, scrapeIntervalSeconds: 5 };

/** The plan's HPA and rules for 2 to 12 pods, with a forecast or without, as simulate reads them. */
function config(method: ForecastMethod | undefined): ReactiveConfig {
  const plan = planAutoscaling(pod, { slo, minReplicas: 2, peakRps: 250, ...timings });
  if (method) plan.forecast = planForecast(plan, { method, ...timings, periodSeconds: 1200 });
  const { files } = renderPlan(plan);
  const values = parseAdapterValues(files['prometheus-adapter-values.yaml'] as string);
  if (!values.ok) throw new Error(values.error);
  const served = signalsFromRules(values.value.custom, values.value.external);
  const hpa = parse(files['hpa.yaml'] as string) as ReactiveConfig['hpa'];
  const signals = new Map<string, Signal>();
  for (const m of hpa.spec.metrics ?? []) {
    const name = (m.pods ?? m.external)?.metric.name as string;
    const found = served.get(name);
    if (!found?.ok) throw new Error(`${name}: ${found ? found.error : 'not served'}`);
    signals.set(name, found.value);
  }
  return { name: method ?? 'reactive', hpa, signals };
}

/** 20 req/s for 10 minutes, a ramp to 200 over 30 minutes, then 200 for 10 minutes. */
const ramp: LoadTrace = {
  points: [
    { time: 0, rps: 20 },
    ...Array.from({ length: 181 }, (_, i) => ({ time: 600 + i * 10, rps: 20 + i })),
    { time: 3000, rps: 200 },
  ],
};

describe('forecast queries', () => {
  it('read back into the parameters they were written from', () => {
    for (const method of ['linear', 'smoothed', 'seasonal'] as const) {
      const p = {
        method,
        rateWindowSeconds: 60,
        rangeSeconds: 240,
        stepSeconds: 5,
        horizonSeconds: 140,
        smoothing: 0.3,
        trend: 0.6,
        periodSeconds: 3600,
        perPodRps: 19,
      };
      const read = forecastFromQuery(forecastQuery(p, 'namespace="a",route=~"/predict"'));
      expect(read?.ok, method).toBe(true);
      if (!read?.ok) continue;
      if (method === 'seasonal') {
        expect(read.value).toMatchObject({ method, periodSeconds: 3460, horizonSeconds: 0 });
      } else {
        expect(read.value).toMatchObject({
          method,
          rangeSeconds: 240,
          stepSeconds: 5,
          horizonSeconds: 140,
          perPodRps: 19,
          ...(method === 'smoothed' ? { smoothing: 0.3, trend: 0.6 } : {}),
        });
      }
    }
  });

  it('refuses a forecast of another shape, saying which ones it reads', () => {
    const read = signalFromQuery('predict_linear(request_queue_depth[5m], 60)');
    expect(read.ok).toBe(false);
    if (!read.ok) expect(read.error).toContain('a forecast the simulator does not read');
  });

  it("plan writes the forecast's external rule and metric, served under the contract's names", () => {
    for (const method of ['linear', 'smoothed', 'seasonal'] as const) {
      const c = config(method);
      const metric = FORECAST_METRICS[method].name;
      expect(c.hpa.spec.metrics?.at(-1)).toEqual({
        type: 'External',
        external: { metric: { name: metric }, target: { type: 'AverageValue', averageValue: '1' } },
      });
      expect(c.signals.get(metric)).toMatchObject({ kind: 'forecast', method, perPodRps: 19 });
    }
  });
});

describe('forecasts in the simulator', () => {
  it('on a slow ramp, with a 2-minute start-up, the linear forecast scales up ahead of the reactive HPA', () => {
    const report = simulateReactive(pod, ramp, [config(undefined), config('linear')], {
      slo,
      startupDelaySeconds: 120,
    });
    const [reactive, linear] = report.results.map((r) => r.summary);
    // the forecast sees the ramp coming and asks for pods a start-up ahead
    expect(linear?.sloViolationSeconds).toBeLessThan(reactive?.sloViolationSeconds ?? 0);
    const firstUp = (i: number) =>
      report.results[i]?.syncs.find(
        (s, k, all) => k > 0 && s.replicas > (all[k - 1]?.replicas ?? 0),
      )?.time;
    expect(firstUp(1)).toBeLessThan(firstUp(0) ?? Number.POSITIVE_INFINITY);
  });

  it('the forecast is the value the HPA sees for its External metric', () => {
    const report = simulateReactive(pod, ramp, [config('linear')], {
      slo,
      startupDelaySeconds: 120,
    });
    const metric = FORECAST_METRICS.linear.name;
    const seen = report.results[0]?.syncs.map((s) => s.seen[metric]) ?? [];
    // what the HPA shows of an AverageValue target: the total over the replicas (to the milli)
    const total = (i: number) =>
      (seen.at(i) ?? 0) * (report.results[0]?.syncs.at(i)?.replicas ?? 0);
    // flat at 20 req/s: 20 / 19 pods; at the end, 200 req/s held for 10 minutes: 200 / 19
    expect(total(20)).toBeCloseTo(20 / 19, 2);
    expect(total(-1)).toBeCloseTo(200 / 19, 1);
  });
});

describe('the forecast flags', () => {
  const profilePath = fileURLToPath(
    new URL('../../examples/capacity/e2e-pod.profile.json', import.meta.url),
  );
  it('plan --forecast seasonal --keda adds a third trigger whose threshold is one pod', async () => {
    const { runCli } = await import('../cli/run-cli.fixture.js');
    const result = await runCli([
      ...['plan', '--profile', profilePath, '--slo', 'p95=200ms', '--keda'],
      ...['--forecast', 'seasonal', '--forecast-period', '1h', '--startup-seconds', '120'],
    ]);
    expect(result.code).toBe(0);
    const so = parse(result.out.replace(/^# --- .*\n/, ''));
    expect(so.spec.triggers).toHaveLength(3);
    expect(so.spec.triggers[2].metadata).toMatchObject({ threshold: '1' });
    // the rate one hour ago, the come-back time (140 s) ahead of now
    expect(so.spec.triggers[2].metadata.query).toContain('[60s] offset 3460s))');
  });

  it('refuses an unknown forecast kind, naming the ones it takes', async () => {
    const { runCli } = await import('../cli/run-cli.fixture.js');
    const plan = await runCli([
      'plan',
      '--profile',
      profilePath,
      '--slo',
      'p95=200ms',
      '--forecast',
      'arima',
    ]);
    expect(plan.code).toBe(2);
    expect(plan.err).toContain('--forecast must be linear (predict_linear), smoothed');
    const tune = await runCli([
      'tune',
      '--profile',
      profilePath,
      '--load',
      'x.csv',
      '--forecast',
      'linear,arima',
    ]);
    expect(tune.code).toBe(2);
    expect(tune.err).toContain('--forecast takes none, or a list of linear, smoothed and seasonal');
  });
});

describe('mlscale check', () => {
  it('checks the forecast rules of every kind: no broken link, the counter seen in /metrics', async () => {
    const { runCli } = await import('../cli/run-cli.fixture.js');
    const { cpSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const project = fileURLToPath(new URL('../../examples/project', import.meta.url));
    for (const method of ['linear', 'smoothed', 'seasonal']) {
      const dir = mkdtempSync(join(tmpdir(), 'mlscale-forecast-'));
      for (const file of ['deployment.yaml', 'service.yaml', 'servicemonitor.yaml'])
        cpSync(join(project, file), join(dir, file));
      const plan = await runCli([
        ...[
          'plan',
          '--profile',
          fileURLToPath(new URL('../../examples/capacity/e2e-pod.profile.json', import.meta.url)),
        ],
        ...['--slo', 'p95=200ms', '--forecast', method, '-o', dir],
      ]);
      expect(plan.code).toBe(0);
      const check = await runCli(['check', dir, '--metrics-file', join(project, 'metrics.txt')]);
      expect(check.err, method).toBe('');
      expect(check.code, method).toBe(0);
      expect(check.out).toMatch(
        new RegExp(
          `ok +HorizontalPodAutoscaler/model-server → ${FORECAST_METRICS[method as ForecastMethod].name} \\(External\\)`,
        ),
      );
      expect(check.out).toMatch(/ok +rules\.external\[0\] metricsQuery\n/);
    }
  });
});
