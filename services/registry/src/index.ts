export * from './domain/citizen/decider.js';
