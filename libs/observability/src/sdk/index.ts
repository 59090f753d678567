export * from './config.js';
export * from './start-telemetry.js';
