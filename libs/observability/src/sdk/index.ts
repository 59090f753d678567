export * from './exporting.js';
export * from './start-telemetry.js';
export * from './views.js';
