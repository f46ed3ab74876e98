export {
  type ChainInput,
  type ChainLink,
  type ChainReport,
  checkChain,
  formatChainReport,
  type LinkStatus,
} from './check.js';
export { type ExposedSample, type Exposition, parseExposition } from './exposition.js';
export { closestName } from './similar.js';
