export * from './collect.js';
export * from './watcher.js';
