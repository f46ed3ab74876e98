export {
  checkPromql,
  formatPromqlIssue,
  type PromqlCheckResult,
  type PromqlIssue,
} from './check.js';
export {
  type PromqlFunctionSignature,
  type PromqlType,
  parameterisedAggregations,
  promqlFunctions,
} from './functions.js';
export { metricNamesInQuery } from './names.js';
