export * from './app.js';
export * from './config.js';
export * from './application/registry.js';
export * from './domain/citizen/decider.js';
