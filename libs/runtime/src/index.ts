export * from './chassis.js';
export * from './config.js';
export * from './service-main.js';
