export * from './app.js';
export * from './config.js';
export * from './application/enrollment.js';
export * from './application/ports.js';
export * from './domain/application/decider.js';
