/** Test kits for code built on @cancuoc/eventstore; imported by specs only. */
export {
  deciderSpec,
  type DeciderGiven,
  type DeciderWhen,
  type ErrorClass,
  type ExpectedEvent,
} from './decider-spec.js';
