export * from './catalogue.js';
export * from './kafka-broker.js';
export * from './postgres.js';
export * from './redis.js';
