export * from './behavior.js';
export * from './controller.js';
export * from './describe.js';
export * from './quantity.js';
export * from './replica-calculator.js';
export type * from './types.js';
