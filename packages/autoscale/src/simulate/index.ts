export * from './report.js';
export * from './simulate.js';
export * from './trace.js';
