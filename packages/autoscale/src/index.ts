export * from './adapter/index.js';
export * from './chain/index.js';
export * from './hpa/index.js';
export * from './prometheus/index.js';
export * from './promql/index.js';
export * from './regexp/index.js';
export * from './simulate/index.js';
export * from './watch/index.js';
