import {
  ATTR_ERROR_TYPE,
  ATTR_RPC_METHOD,
  ATTR_RPC_STATUS_CODE,
  ATTR_RPC_SYSTEM_NAME,
  METRIC_RPC_SERVER_CALL_DURATION,
} from '@opentelemetry/semantic-conventions';
// Incubating names are pinned by the exact package version in package.json, so they cannot move
// under us in a minor release (the package's own advice for incubating conventions).
import {
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_NAME,
  METRIC_MESSAGING_PROCESS_DURATION,
} from '@opentelemetry/semantic-conventions/incubating';

/**
 * The instrument an emitter creates. `counter` is monotonic (a rate is read from it); `gauge` is
 * sampled (an observable gauge: lag, backlog, depth); `histogram` records a distribution.
 */
export type MetricKind = 'counter' | 'gauge' | 'histogram';

/** Which services emit a metric; `all` for what every service emits (gRPC, event store, relay). */
export type Emitter = 'registry' | 'enrollment' | 'card-production' | 'data-sharing';

export interface MetricAttribute {
  readonly name: string;
  readonly description: string;
  /** The closed set of values, where there is one; other attributes are bounded as described. */
  readonly values?: readonly string[];
}

export interface MetricSpec {
  /** OpenTelemetry instrument name: a semantic-convention name where one exists, else `cancuoc.*`. */
  readonly name: string;
  readonly kind: MetricKind;
  /** UCUM unit as OpenTelemetry writes it: `s`, `By`, `1`, or an annotation such as `{event}`. */
  readonly unit: string;
  readonly description: string;
  /** Attributes of each point. Never personal data: names of code, topics, states, machines. */
  readonly attributes: readonly MetricAttribute[];
  readonly emittedBy: readonly Emitter[] | 'all';
  /** True when the name, unit and attributes are OpenTelemetry semantic conventions. */
  readonly semanticConvention: boolean;
  /** Explicit bucket boundaries, histograms only: the SDK's views apply them (`catalogueViews`). */
  readonly buckets?: readonly number[];
}

const ALL_SERVICES = 'all';

const SUBSCRIPTION: MetricAttribute = {
  name: 'cancuoc.subscription.name',
  description: 'The durable subscription (projection) inside a service database, e.g. `registry-citizens`.',
};
const RELAY: MetricAttribute = {
  name: 'cancuoc.relay.name',
  description: 'The outbox relay, one per service event store, e.g. `registry-relay`.',
};
const TOPIC: MetricAttribute = {
  name: ATTR_MESSAGING_DESTINATION_NAME,
  description: 'Kafka topic from the catalogue in @cancuoc/proto.',
};
const CONSUMER_GROUP: MetricAttribute = {
  name: ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  description: 'The IdempotentConsumer subscriber, which is also its Kafka consumer group.',
};
const STREAM_CATEGORY: MetricAttribute = {
  name: 'cancuoc.stream.category',
  description:
    'Aggregate type: the stream id up to its first `-` (`citizen`, `application`, `card`), never the id.',
};

// Semantic-convention advice for RPC durations, in seconds.
const RPC_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
// Lags and processing: from a millisecond to a few minutes, where an operator starts to worry.
const PIPELINE_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300];

/** Every metric Cancuoc emits, by the key the instrumentation refers to it. */
export const METRICS = {
  rpcServerDuration: {
    name: METRIC_RPC_SERVER_CALL_DURATION,
    kind: 'histogram',
    unit: 's',
    description:
      'Duration of each incoming gRPC call, by method and status code; its count by status code is the error rate.',
    attributes: [
      { name: ATTR_RPC_SYSTEM_NAME, description: 'Always `grpc`.', values: ['grpc'] },
      {
        name: ATTR_RPC_METHOD,
        description: 'Fully qualified method, `cancuoc.registry.v1.RegistryService/GetCitizen`.',
      },
      {
        name: ATTR_RPC_STATUS_CODE,
        description: 'gRPC status code name.',
        values: [
          'OK',
          'CANCELLED',
          'UNKNOWN',
          'INVALID_ARGUMENT',
          'DEADLINE_EXCEEDED',
          'NOT_FOUND',
          'ALREADY_EXISTS',
          'PERMISSION_DENIED',
          'RESOURCE_EXHAUSTED',
          'FAILED_PRECONDITION',
          'ABORTED',
          'OUT_OF_RANGE',
          'UNIMPLEMENTED',
          'INTERNAL',
          'UNAVAILABLE',
          'DATA_LOSS',
          'UNAUTHENTICATED',
        ],
      },
      { name: ATTR_ERROR_TYPE, description: 'Set on errors only: the status code name again.' },
    ],
    emittedBy: ALL_SERVICES,
    semanticConvention: true,
    buckets: RPC_BUCKETS,
  },
  eventsAppended: {
    name: 'cancuoc.eventstore.events.appended',
    kind: 'counter',
    unit: '{event}',
    description: 'Events committed to the service event store; its rate is the append rate.',
    attributes: [STREAM_CATEGORY],
    emittedBy: ALL_SERVICES,
    semanticConvention: false,
  },
  appendDuration: {
    name: 'cancuoc.eventstore.append.duration',
    kind: 'histogram',
    unit: 's',
    description: 'Time to append one command’s events, including the expected-version check.',
    attributes: [
      STREAM_CATEGORY,
      {
        name: 'cancuoc.append.outcome',
        description: '`conflict` is a lost optimistic-concurrency race (ABORTED).',
        values: ['ok', 'conflict', 'error'],
      },
    ],
    emittedBy: ALL_SERVICES,
    semanticConvention: false,
    buckets: PIPELINE_BUCKETS,
  },
  relayLag: {
    name: 'cancuoc.relay.lag',
    kind: 'gauge',
    unit: 's',
    description:
      'Age of the oldest committed event the relay has not yet had acknowledged by Kafka; 0 when caught up.',
    attributes: [RELAY],
    emittedBy: ALL_SERVICES,
    semanticConvention: false,
  },
  outboxBacklog: {
    name: 'cancuoc.relay.backlog',
    kind: 'gauge',
    unit: '{event}',
    description: 'Outbox backlog: committed events after the relay checkpoint, not yet published.',
    attributes: [RELAY],
    emittedBy: ALL_SERVICES,
    semanticConvention: false,
  },
  recordsPublished: {
    name: 'cancuoc.relay.records.published',
    kind: 'counter',
    unit: '{record}',
    description: 'Records the relay published and Kafka acknowledged.',
    attributes: [RELAY, TOPIC],
    emittedBy: ALL_SERVICES,
    semanticConvention: false,
  },
  projectionLag: {
    name: 'cancuoc.projection.lag',
    kind: 'gauge',
    unit: 's',
    description:
      'Per subscription: age of the oldest committed event past its checkpoint; 0 when caught up. A stuck reader (a long-open transaction) shows here.',
    attributes: [SUBSCRIPTION],
    emittedBy: ALL_SERVICES,
    semanticConvention: false,
  },
  projectionBacklog: {
    name: 'cancuoc.projection.backlog',
    kind: 'gauge',
    unit: '{event}',
    description: 'Per subscription: committed events past its checkpoint.',
    attributes: [SUBSCRIPTION],
    emittedBy: ALL_SERVICES,
    semanticConvention: false,
  },
  consumerProcessDuration: {
    name: METRIC_MESSAGING_PROCESS_DURATION,
    kind: 'histogram',
    unit: 's',
    description: 'Time an IdempotentConsumer took to apply one record (effect and inbox row), by outcome.',
    attributes: [
      TOPIC,
      CONSUMER_GROUP,
      { name: ATTR_ERROR_TYPE, description: 'Set when the handler failed.' },
    ],
    emittedBy: ['enrollment', 'card-production', 'data-sharing'],
    semanticConvention: true,
    buckets: PIPELINE_BUCKETS,
  },
  deadLettered: {
    name: 'cancuoc.consumer.dead_lettered',
    kind: 'counter',
    unit: '{record}',
    description: 'Records a consumer gave up on and sent to the dead-letter topic.',
    attributes: [
      TOPIC,
      CONSUMER_GROUP,
      {
        name: 'cancuoc.dead_letter.reason',
        description: '`undecodable` at once (headers, type, payload); `handler` after the bounded retries.',
        values: ['undecodable', 'handler'],
      },
    ],
    emittedBy: ['enrollment', 'card-production', 'data-sharing'],
    semanticConvention: false,
  },
  deadLetterDepth: {
    name: 'cancuoc.dlq.depth',
    kind: 'gauge',
    unit: '{record}',
    description: 'Records waiting in a dead-letter topic for a subscriber, not yet redriven.',
    attributes: [{ name: ATTR_MESSAGING_DESTINATION_NAME, description: 'The `.dlq` topic.' }, CONSUMER_GROUP],
    emittedBy: ['enrollment', 'card-production', 'data-sharing'],
    semanticConvention: false,
  },
  cardJobDepth: {
    name: 'cancuoc.card_jobs.depth',
    kind: 'gauge',
    unit: '{job}',
    description: 'Card encoding jobs by state: the production queue an operator watches.',
    attributes: [
      {
        name: 'cancuoc.job.state',
        description: '`failed`: retries exhausted, waiting for an operator.',
        values: ['queued', 'leased', 'failed'],
      },
    ],
    emittedBy: ['card-production'],
    semanticConvention: false,
  },
  stationJobsSettled: {
    name: 'cancuoc.station.jobs.settled',
    kind: 'counter',
    unit: '{job}',
    description: 'Jobs a chip-encoding station settled; its rate is station throughput.',
    attributes: [
      { name: 'cancuoc.station.id', description: 'The station (a machine, never a person).' },
      {
        name: 'cancuoc.job.outcome',
        description: '`lease_expired`: the station went silent and the job was redelivered.',
        values: ['completed', 'failed', 'lease_expired'],
      },
    ],
    emittedBy: ['card-production'],
    semanticConvention: false,
  },
  stationJobDuration: {
    name: 'cancuoc.station.job.duration',
    kind: 'histogram',
    unit: 's',
    description: 'From lease to settlement of one job at a station.',
    attributes: [{ name: 'cancuoc.station.id', description: 'The station (a machine, never a person).' }],
    emittedBy: ['card-production'],
    semanticConvention: false,
    buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300],
  },
  authRefusals: {
    name: 'cancuoc.auth.refusals',
    kind: 'counter',
    unit: '{call}',
    description:
      'Calls refused by authentication or authorization, by RPC and reason; a burst from one caller is an attack or a misconfigured client.',
    attributes: [
      {
        name: ATTR_RPC_METHOD,
        description: 'Fully qualified method, e.g. `cancuoc.registry.v1.RegistryService/GetCitizen`.',
      },
      {
        name: 'cancuoc.auth.outcome',
        description:
          '`unauthenticated`: no valid credential; `denied`: the policy does not allow it; `limited`: too many refusals.',
        values: ['unauthenticated', 'denied', 'limited'],
      },
      {
        name: 'cancuoc.auth.reason',
        description:
          'Why, e.g. `MISSING_TOKEN`, `TOKEN_EXPIRED`, `BAD_SIGNATURE`, `NOT_ALLOWED`, `OUTSIDE_JURISDICTION`.',
      },
    ],
    emittedBy: 'all',
    semanticConvention: false,
  },
} as const satisfies Record<string, MetricSpec>;

export type MetricKey = keyof typeof METRICS;

/** The catalogue as a list, in declaration order. */
export function metricCatalogue(): readonly MetricSpec[] {
  return Object.values(METRICS);
}
