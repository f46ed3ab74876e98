/**
 * `pnpm demo`: the closed loop for a person. Pods on the emulated device (25 req/s each) as
 * model-server processes, a real Prometheus scraping them, the adapter rules and the project's HPA
 * from infra/ deciding every sync, and an open-loop generator playing the step trace (1× a pod's
 * capacity, 4× for two minutes, back). One line per second, the HPA's reasoning at every sync,
 * and the figures at the end; the full record goes to a temporary folder.
 *
 * Environment: DEMO_HPA (default infra/base/hpa.yaml), DEMO_HOLD (seconds at 4×, default 120),
 * DEMO_AFTER (seconds back at 1×, default 60), DEMO_STARTUP (pod start-up delay, default 10),
 * DEMO_SYNC (default 15), PROMETHEUS_BIN.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPrometheus } from '@mlscale/testkit';
import { runClosedLoop } from '../closed-loop/run.js';
import {
  EMULATED_POD,
  infraRules,
  readHpa,
  SMALL_BODY,
  stepTrace,
  writeTrace,
} from '../closed-loop/scenario.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const hpaFile = process.env.DEMO_HPA ?? 'infra/base/hpa.yaml';
const found = findPrometheus();
if ('error' in found) {
  console.error(`The closed loop needs Prometheus: ${found.error}`);
  process.exit(1);
}

const ms = (s: number | undefined) =>
  s === undefined ? '   -' : Number.isFinite(s) ? `${Math.round(s * 1000)}`.padStart(4) : ' inf';
const hpa = readHpa(hpaFile);
const load = stepTrace(EMULATED_POD.impliedCapacityRps, {
  holdSeconds: env('DEMO_HOLD', 120),
  afterSeconds: env('DEMO_AFTER', 60),
});
console.log(
  `closed loop: ${hpaFile}, pods of ${EMULATED_POD.impliedCapacityRps} req/s (emulated device), ${load.points.map((p) => `${p.rps} req/s from ${p.time} s`).join(', ')}`,
);
console.log('starting Prometheus and the first pods; 30 s of warm-up at the first rate...');
const stop = new AbortController();
process.once('SIGINT', () => {
  console.log('\nstopping: the pods drain, then the figures so far');
  stop.abort();
});
const trace = await runClosedLoop({
  load,
  hpa,
  rules: infraRules(),
  podEnv: EMULATED_POD.env,
  body: SMALL_BODY,
  startupDelaySeconds: env('DEMO_STARTUP', 10),
  syncPeriodSeconds: env('DEMO_SYNC', 15),
  warmupSeconds: 30,
  signal: stop.signal,
  onTick: (tick) => {
    if (tick.time < 0 && Math.round(tick.time) % 10 !== 0) return;
    const last = tick.last;
    console.log(
      `t=${Math.floor(tick.time).toString().padStart(4)}s  offered ${String(tick.offeredRps).padStart(4)}/s  replicas ${tick.replicas} (ready ${tick.ready}, pods ${tick.pods})  in flight ${String(tick.inFlight).padStart(4)}  last second: p95 ${ms(last?.p95)} ms, ${last?.failed ?? 0} failed`,
    );
  },
  onSync: (sync) => {
    const seen = sync.decision.metrics
      .map((m) => `${m.name}=${m.current === undefined ? '?' : m.current.toFixed(3)}/${m.target}`)
      .join(' ');
    console.log(`  sync t=${Math.round(sync.time)}s  ${seen}\n    ${sync.explanation}`);
  },
  onPodFailure: (error) => console.log(`  pod failed, replacing it: ${error.message}`),
});
const s = trace.summary;
console.log(
  `\nseconds in SLO violation (p95 > 200 ms): ${s.sloViolationSeconds}; recovery after the step: ${s.recoverySeconds ?? 'never'} s; first scale-up ${s.timeToFirstScaleUp ?? 'never'} s after the step`,
);
console.log(
  `replica-seconds ${Math.round(s.replicaSeconds)}; max replicas ${s.maxReplicas}; scale events ${s.scaleEvents}; ${s.failed} of ${s.offered} requests failed; p95 ${ms(s.p95)} ms, p99 ${ms(s.p99)} ms overall`,
);
const files = writeTrace(mkdtempSync(join(tmpdir(), 'mlscale-closed-loop-')), 'closed-loop', trace);
console.log(`recorded: ${files.join(', ')}`);
