export * from './metrics.js';
export * from './prometheus.js';
