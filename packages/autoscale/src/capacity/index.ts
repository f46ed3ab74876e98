export { loadCapacityProfile } from './load.js';
export {
  type OperatingPoint,
  type PodModel,
  podModel,
  rateMeetingSlo,
  statisticAt,
} from './model.js';
export * from './profile.js';
export {
  capacityProfileSchema,
  type ProfileValidation,
  parseCapacityProfile,
  validateCapacityProfile,
} from './schema.js';
export { formatSlo, type LatencySlo, type LatencyStatistic, parseSlo, quantileOf } from './slo.js';
