/**
 * @mlscale/testkit: the processes this repository's tests and demos run, on free 127.0.0.1 ports,
 * each with a handle that stops it. Private: never published.
 */
export { type Load, type LoadOptions, predictBody, startLoad } from './load.js';
export { MODEL_SERVER_MAIN, REPO_ROOT, startModelServer } from './model-server.js';
export { freePort } from './ports.js';
export type { Running } from './process.js';
export {
  type ActiveTarget,
  findPrometheus,
  INSTALL_PROMETHEUS,
  type PrometheusOptions,
  type QueryResponse,
  type RunningPrometheus,
  type ScrapeJob,
  startPrometheus,
  type Target,
  type VectorSample,
} from './prometheus.js';
export { sleep, until, waitFor } from './wait.js';
