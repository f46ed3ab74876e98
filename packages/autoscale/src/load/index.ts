export {
  type ArrivalProcess,
  arrivalTimes,
  type RateFunction,
  type RatePoint,
  rateFromTrace,
  seededRandom,
} from './arrivals.js';
export { percentile, summarizeLatency } from './latency.js';
export {
  type OpenLoop,
  type OpenLoopOptions,
  type OpenLoopTotals,
  type RequestResult,
  startOpenLoop,
} from './open-loop.js';
