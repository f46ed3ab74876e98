// What the package check covers. Adding a package's README examples is one entry in `readmes`.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * @typedef {object} ServingRequest
 * @property {string} path - requested from the example's own server, e.g. `/metrics`
 * @property {string} [method] - default GET
 * @property {unknown} [json] - a JSON body
 * @property {number} [status] - expected status, default 200
 * @property {RegExp[]} [body] - what the response body must contain
 */

/**
 * @typedef {object} Setup - one environment every example runs in
 * @property {string} label - what it stands for, e.g. `no GPU`
 * @property {(app: string) => Record<string, string>} [env] - extra environment, given the
 *   folder the package is installed in
 * @property {ServingRequest[]} [serving] - sent, in order, to every example that announces a server
 */

/**
 * @typedef {object} ReadmePackage
 * @property {string} dir - the package folder, relative to the repository root
 * @property {ServingRequest[]} [serving] - sent, in order, to every example that announces a server
 * @property {Setup[]} [setups] - instead of `serving`: run every example once per setup
 * @property {Array<{ block: string, stdout: RegExp }>} [stdout] - the example whose code contains
 *   `block` must print something matching `stdout`
 */

/**
 * Packages whose README examples run against their packed tarballs, at the lowest and the latest
 * versions of their peer dependencies.
 *
 * @type {ReadmePackage[]}
 */
export const readmes = [
  {
    dir: 'packages/hpa',
    stdout: [{ block: 'describeDecision', stdout: /^desired replicas: 4$/m }],
  },
  {
    dir: 'packages/autoscale',
    stdout: [
      { block: 'formatSummaryTable', stdout: /queue depth 10 per pod/ },
      {
        block: 'clairvoyantBound',
        stdout: /^clairvoyant bound: 18110 replica-seconds, at most 9 pods$/m,
      },
      { block: "'tune'", stdout: /^chosen: tuned: headroom 0%, min 5, down-window 50s$/m },
    ],
  },
  {
    dir: 'packages/metric-contract',
    stdout: [
      { block: 'seriesOfSample', stdout: /^seconds$/m },
      { block: 'seriesOfSample', stdout: /^request_queue_depth\tgauge\t@mlscale\/queue-gauge$/m },
    ],
  },
  {
    dir: 'packages/metrics',
    serving: [
      { path: '/predict', method: 'POST', json: { features: [0.1, 0.2, 0.3] } },
      { path: '/nowhere', status: 404 },
      {
        path: '/metrics',
        body: [
          /^inference_latency_seconds_count\{model="tiny-linear"\} 1$/m,
          /^http_requests_total\{method="POST",route="\/predict",status="200",model="tiny-linear"\} 1$/m,
          /^http_requests_total\{method="GET",route="unmatched",status="404",model="tiny-linear"\} 1$/m,
        ],
      },
    ],
    stdout: [
      {
        block: 'openMetricsContentType',
        stdout:
          /^inference_latency_seconds_bucket\{le="[0-9.]+"\} 1 # \{trace_id="4bf92f3577b34da6a3ce929d0e0e4736"\} [0-9.e-]+ \d+(\.\d+)?$/m,
      },
      { block: 'prefix:', stdout: /^myapp_http_requests_total\{/m },
      {
        block: 'openMetricsContentType',
        stdout:
          /^http_request_duration_seconds_bucket\{.*\} 1 # \{trace_id="4bf92f3577b34da6a3ce929d0e0e4736"\} /m,
      },
      { block: 'collectDefaultMetrics', stdout: /^myapp_process_cpu_seconds_total /m },
    ],
  },
  {
    dir: 'packages/queue-gauge',
    serving: [
      { path: '/predict', method: 'POST', json: { features: [0.1, 0.2, 0.3] } },
      {
        path: '/metrics',
        body: [/^request_queue_depth 0$/m, /^request_queue_wait_seconds_count 1$/m],
      },
    ],
  },
  {
    dir: 'packages/gpu-probe',
    setups: [
      // What most readers meet first: no driver. The exporter serves, without gpu_* metrics.
      { label: 'no NVML', serving: [{ path: '/metrics', body: [/^(?![\s\S]*gpu_)/] }] },
      // A GPU, as far as the probe can tell: the package's own fake NVML, built as a user would.
      {
        label: 'fake NVML',
        env: fakeNvml,
        serving: [
          {
            path: '/metrics',
            body: [/^gpu_probe_up 1$/m, /^gpu_utilization_percent\{gpu="0",uuid="GPU-[^"]+"\} 0$/m],
          },
        ],
      },
    ],
    stdout: [
      {
        block: 'compileFakeNvml',
        stdout: /^gpu_utilization_percent\{gpu="0",uuid="GPU-[^"]+"\} 87$/m,
      },
    ],
  },
];

/**
 * Published packages that are packed, checked for hygiene and loaded (import and require), but
 * whose README examples are not run yet.
 *
 * @type {string[]}
 */
export const packedOnly = [];

/**
 * Builds the fake NVML shipped in the installed @mlscale/gpu-probe (`testing/fake-nvml.c`) and
 * points the probe at it: one idle 16 GiB GPU.
 *
 * @param {string} app - the folder @mlscale/gpu-probe is installed in
 */
function fakeNvml(app) {
  const dir = join(app, 'fake-nvml');
  mkdirSync(dir, { recursive: true });
  const library = join(dir, 'libnvidia-ml.so.1');
  const source = join(app, 'node_modules/@mlscale/gpu-probe/testing/fake-nvml.c');
  execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', library, source]);
  return { NVML_LIBRARY_PATH: library };
}
