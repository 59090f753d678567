export * from './privacy-guard.js';
export * from './test-telemetry.js';
