export * from './catalogue.js';
export * from './kafka-broker.js';
export * from './oidc-provider.js';
export * from './postgres.js';
export * from './redis.js';
export * from './processes/cancuoc-cli.js';
export * from './processes/service-process.js';
