export * from './service-main.js';
