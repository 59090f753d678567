export * from './population.js';
