export { checkChain } from './check.js';
export { type ExposedSample, type Exposition, parseExposition } from './exposition.js';
export { formatChainReport } from './format.js';
export { closestName } from './similar.js';
export {
  type ChainInput,
  type ChainLink,
  type ChainReport,
  DEFAULT_ASSUMPTIONS,
  type LinkStatus,
  type WorkloadAssumptions,
} from './types.js';
