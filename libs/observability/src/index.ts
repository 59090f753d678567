export * from './card-production.js';
export * from './instruments.js';
export * from './logger.js';
export * from './metrics.js';
export * from './privacy.js';
export * from './prometheus.js';
export * from './tracing.js';
