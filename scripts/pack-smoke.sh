#!/usr/bin/env bash
# Packs every published package, installs the tarballs with npm into an empty folder (as a user
# would, peer dependencies from the registry), and uses each one from both `import` and `require`.
# Usage: pnpm check:packages   (after pnpm build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tarballs" "$work/app"
packages=(metrics queue-gauge gpu-probe autoscale)
for pkg in "${packages[@]}"; do
  (cd "$root/packages/$pkg" && pnpm pack --pack-destination "$work/tarballs" >/dev/null)
done
cd "$work/app"
npm init -y >/dev/null
npm install --no-audit --no-fund --loglevel=error "$work"/tarballs/*.tgz hono@^4 prom-client@^15 >/dev/null
cat >smoke.mjs <<'JS'
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const checks = {
  '@mlscale/metrics': ['httpMetrics', 'inferenceMetrics', 'metricsHandler'],
  '@mlscale/queue-gauge': ['RequestQueue', 'queueGauge', 'QueueFullError'],
  '@mlscale/gpu-probe': ['createGpuProbe', 'openGpuProbe'],
  '@mlscale/gpu-probe/testing': ['compileFakeNvml'],
  '@mlscale/autoscale': [],
};
let failed = 0;
for (const [name, exports] of Object.entries(checks)) {
  for (const [how, mod] of [['import', await import(name)], ['require', require(name)]]) {
    const missing = exports.filter((e) => typeof mod[e] !== 'function');
    if (missing.length) { failed++; console.error(`FAIL ${how} ${name}: missing ${missing.join(', ')}`); }
    else console.log(`ok   ${how.padEnd(7)} ${name}`);
  }
}
const { Hono } = await import('hono');
const { Registry } = await import('prom-client');
const { httpMetrics, metricsHandler } = await import('@mlscale/metrics');
const { RequestQueue, queueGauge } = require('@mlscale/queue-gauge');
const registry = new Registry();
const app = new Hono();
app.use(httpMetrics({ registry }));
app.post('/predict', queueGauge({ queue: new RequestQueue({ registry }) }), (c) => c.json({ ok: true }));
app.get('/metrics', metricsHandler({ registry }));
await app.request('/predict', { method: 'POST' });
const text = await (await app.request('/metrics')).text();
for (const needle of ['http_requests_total{method="POST",route="/predict",status="200"} 1', 'request_queue_depth 0']) {
  if (!text.includes(needle)) { failed++; console.error(`FAIL exposition lacks ${needle}`); }
}
// gpu-probe, from both module systems, against the fake NVML its testing helper compiles.
const missing = (await import('@mlscale/gpu-probe')).openGpuProbe({ libraryPath: '/nonexistent/libnvidia-ml.so.1' });
if (missing.ok || missing.error.name !== 'NvmlLoadError') { failed++; console.error('FAIL gpu-probe: expected NvmlLoadError'); }
for (const [how, probeModule, testingModule] of [
  ['import', await import('@mlscale/gpu-probe'), await import('@mlscale/gpu-probe/testing')],
  ['require', require('@mlscale/gpu-probe'), require('@mlscale/gpu-probe/testing')],
]) {
  const nvml = testingModule.compileFakeNvml();
  nvml.setUtilization(0, 61);
  const gpuRegistry = new Registry();
  const probe = probeModule.createGpuProbe({ registry: gpuRegistry, libraryPath: nvml.libraryPath });
  const gpuText = await gpuRegistry.metrics();
  probe.close();
  nvml.dispose();
  if (!/gpu_utilization_percent\{[^}]*\} 61\n/.test(gpuText)) { failed++; console.error(`FAIL gpu-probe via ${how}:\n${gpuText}`); }
  else console.log(`ok   ${how.padEnd(7)} @mlscale/gpu-probe reads the fake NVML`);
}
console.log(failed ? `${failed} failed` : 'packed packages install and work from import and require');
process.exit(failed ? 1 : 0);
JS
node smoke.mjs
