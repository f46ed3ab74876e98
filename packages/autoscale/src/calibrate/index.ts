export { renderCapacitySvg, roundTicks } from './chart.js';
export { type PodCounters, readPodCounters, serverView } from './pod-metrics.js';
export {
  CalibrationError,
  type CalibrationOptions,
  type CalibrationProgress,
  calibrate,
  measureStep,
} from './ramp.js';
export { formatProfileTable, formatStepLine } from './report.js';
export { highestRateMeeting, stepMeetsSlo } from './slo.js';
