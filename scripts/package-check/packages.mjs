// What the package check covers. Adding a package's README examples is one entry in `readmes`.

/**
 * @typedef {object} ServingRequest
 * @property {string} path - requested from the example's own server, e.g. `/metrics`
 * @property {string} [method] - default GET
 * @property {unknown} [json] - a JSON body
 * @property {number} [status] - expected status, default 200
 * @property {RegExp[]} [body] - what the response body must contain
 */

/**
 * @typedef {object} ReadmePackage
 * @property {string} dir - the package folder, relative to the repository root
 * @property {ServingRequest[]} [serving] - sent, in order, to every example that announces a server
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
        block: 'OPENMETRICS_CONTENT_TYPE',
        stdout: /^inference_latency_seconds_bucket\{le="0\.00025"\} 1 # \{trace_id="[0-9a-f]{32}"\} 0\.0002 \d+(\.\d+)?$/m,
      },
      { block: 'prefix:', stdout: /^myapp_http_requests_total\{/m },
      { block: 'collectDefaultMetrics', stdout: /^process_cpu_seconds_total /m },
    ],
  },
  {
    dir: 'packages/queue-gauge',
    serving: [
      { path: '/predict', method: 'POST', json: { features: [0.1, 0.2, 0.3] } },
      { path: '/metrics', body: [/^request_queue_depth 0$/m, /^request_queue_wait_seconds_count 1$/m] },
    ],
  },
  {
    dir: 'packages/gpu-probe',
    serving: [{ path: '/metrics', body: [/^gpu_probe_up /m] }],
    stdout: [
      { block: 'compileFakeNvml', stdout: /^gpu_utilization_percent\{gpu="0",uuid="GPU-[^"]+"\} 87$/m },
    ],
  },
];

/**
 * Published packages that are packed, checked for hygiene and loaded (import and require), but
 * whose README examples are not run yet.
 *
 * @type {string[]}
 */
export const packedOnly = ['packages/autoscale'];
