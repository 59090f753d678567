/**
 * One trace across every hop, as enrollment → card production → station will make it: a gRPC call
 * → an append → the relay → the transport → a consumer in a second stack → its append → its relay →
 * a second consumer → a gRPC call back. Two stacks in one process, each with its own database, on
 * the Kafka-protocol test broker and on the in-process transport (the embedded default).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { Database, EventStore, eventStoreMigrations, type RecordedEvent } from '@cancuoc/eventstore';
import {
  createClient,
  defineService,
  startGrpcServer,
  type GrpcClient,
  type RunningGrpcServer,
} from '@cancuoc/grpc';
import { echoImplementation, EchoService } from '@cancuoc/grpc/testing';
import { activeTraceparent, METRICS } from '@cancuoc/observability';
import {
  hasAttributes,
  pointsOf,
  startTestTelemetry,
  type TestTelemetry,
} from '@cancuoc/observability/testing';
import {
  CARD_PRODUCTION_CARD_TOPIC,
  CardApplicationChangedSchema,
  CardChangedSchema,
  ENROLLMENT_APPLICATION_TOPIC,
  payloadRegistry,
} from '@cancuoc/proto';
import { catalogueTopics, createTestDatabase, startKafkaBroker, type KafkaBroker } from '@cancuoc/testing';
import { IdempotentConsumer } from './consumer.js';
import { InProcessTransport } from './in-process-transport.js';
import { KafkaTransport } from './kafka-transport.js';
import { inboxMigrations, inProcessLogMigrations } from './migrations/index.js';
import { Relay } from './relay.js';
import type { Transport } from './transport.js';

const APPLICATIONS = ENROLLMENT_APPLICATION_TOPIC.name;
const CARDS = CARD_PRODUCTION_CARD_TOPIC.name;
const ECHO = 'cancuoc.grpctest.v1.EchoService';

interface Infrastructure {
  readonly dbA: Database;
  readonly dbB: Database;
  readonly transportA: Transport;
  readonly transportB: Transport;
  close(): Promise<void>;
}

async function database(url?: string, inProcessLog = false): Promise<Database> {
  const db = await Database.connect({
    databaseUrl: url,
    migrations: [
      ...eventStoreMigrations,
      ...inboxMigrations,
      ...(inProcessLog ? inProcessLogMigrations : []),
    ],
  });
  await db.migrate();
  return db;
}

async function onKafka(): Promise<Infrastructure> {
  const broker: KafkaBroker = await startKafkaBroker({ topics: catalogueTopics(), brokers: 1 });
  const [a, b] = await Promise.all([createTestDatabase('trace_a'), createTestDatabase('trace_b')]);
  const [dbA, dbB] = await Promise.all([database(a.url), database(b.url)]);
  const transport = (clientId: string) =>
    new KafkaTransport({ brokers: broker.bootstrapServers, clientId, idempotent: false, maxWaitTimeMs: 100 });
  const transportA = transport('enrollment');
  const transportB = transport('card-production');
  return {
    dbA,
    dbB,
    transportA,
    transportB,
    async close() {
      await Promise.all([transportA.close(), transportB.close()]);
      await Promise.all([dbA.close(), dbB.close()]);
      await Promise.all([a.drop(), b.drop(), broker.stop()]);
    },
  };
}

async function inProcess(): Promise<Infrastructure> {
  const [dbA, dbB] = await Promise.all([database(undefined, true), database()]);
  const transport = new InProcessTransport({ db: dbA, pollIntervalMs: 100 });
  await transport.createTopics(catalogueTopics().map((t) => ({ ...t, retentionMs: -1 })));
  return {
    dbA,
    dbB,
    transportA: transport,
    transportB: transport,
    async close() {
      await transport.close();
      await Promise.all([dbA.close(), dbB.close()]);
    },
  };
}

const metadata = { actor: 'service:test' };

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} did not happen in ${ms} ms`)), ms).unref(),
    ),
  ]);
}

async function eventually(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The names of `span` and its ancestors, nearest first, as far as the exported spans go. */
function ancestry(span: ReadableSpan, spans: readonly ReadableSpan[]): string[] {
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  const names: string[] = [];
  for (
    let s: ReadableSpan | undefined = span;
    s;
    s = s.parentSpanContext && byId.get(s.parentSpanContext.spanId)
  ) {
    assert.equal(s.spanContext().traceId, span.spanContext().traceId);
    names.push(`${SpanKind[s.kind]} ${s.name}`);
  }
  return names;
}

for (const [name, infrastructure] of [
  ['Kafka-protocol test broker', onKafka],
  ['in-process transport', inProcess],
] as const) {
  describe(`one trace from a gRPC call to a gRPC call back, through two stacks (${name})`, () => {
    let t: TestTelemetry;
    let infra: Infrastructure;
    let serverA: RunningGrpcServer;
    let serverB: RunningGrpcServer;
    let clientOfA: GrpcClient<typeof EchoService>;
    let clientOfB: GrpcClient<typeof EchoService>;
    const running: { stop(): Promise<void> }[] = [];
    let stationReached!: (traceparent: string | undefined) => void;
    const station = new Promise<string | undefined>((resolve) => (stationReached = resolve));

    before(async () => {
      t = await startTestTelemetry();
      infra = await infrastructure();
      const storeA = new EventStore(infra.dbA);
      const storeB = new EventStore(infra.dbB);

      // Stack B ("card production"): a gRPC server the last hop calls, like a station's Complete.
      serverB = await startGrpcServer({
        port: 0,
        host: '127.0.0.1',
        services: [
          defineService(EchoService, {
            ...echoImplementation<undefined>(),
            async echo(request) {
              stationReached(activeTraceparent());
              return { text: request.text, principal: '' };
            },
          }),
        ],
      });
      clientOfB = createClient(EchoService, serverB.address, { defaultTimeoutMs: 10_000 });

      // Stack A ("enrollment"): Register appends an application.
      serverA = await startGrpcServer({
        port: 0,
        host: '127.0.0.1',
        services: [
          defineService(EchoService, {
            ...echoImplementation<undefined>(),
            async register() {
              const id = randomUUID();
              await storeA.appendToStream(`application-${id}`, [{ type: 'ApplicationSubmitted', data: {} }], {
                metadata,
                expectedVersion: 'no_stream',
              });
              return { id: 'accepted', execution: 1 };
            },
          }),
        ],
      });
      clientOfA = createClient(EchoService, serverA.address, { defaultTimeoutMs: 10_000 });

      const relayA = new Relay({
        name: 'enrollment-relay',
        source: '/cancuoc/enrollment',
        store: storeA,
        transport: infra.transportA,
        pollIntervalMs: 100,
        map: (event: RecordedEvent) => [
          {
            topic: APPLICATIONS,
            schema: CardApplicationChangedSchema,
            data: create(CardApplicationChangedSchema, {
              applicationId: event.streamId,
              applicationVersion: BigInt(event.streamVersion),
            }),
          },
        ],
      });
      const consumerB = new IdempotentConsumer({
        subscriber: 'card-production.applications',
        transport: infra.transportB,
        db: infra.dbB,
        topics: [APPLICATIONS],
        types: payloadRegistry([ENROLLMENT_APPLICATION_TOPIC]),
        handle: async (_event, tx) => {
          await storeB.appendToStream(`card-${randomUUID()}`, [{ type: 'CardQueued', data: {} }], {
            metadata,
            expectedVersion: 'no_stream',
            tx,
          });
        },
      });
      const relayB = new Relay({
        name: 'card-production-relay',
        source: '/cancuoc/card-production',
        store: storeB,
        transport: infra.transportB,
        pollIntervalMs: 100,
        map: (event: RecordedEvent) => [
          {
            topic: CARDS,
            schema: CardChangedSchema,
            data: create(CardChangedSchema, {
              cardId: event.streamId,
              cardVersion: BigInt(event.streamVersion),
            }),
          },
        ],
      });
      // Back in stack A, the card's news is passed on over gRPC.
      const consumerA = new IdempotentConsumer({
        subscriber: 'enrollment.cards',
        transport: infra.transportA,
        db: infra.dbA,
        topics: [CARDS],
        types: payloadRegistry([CARD_PRODUCTION_CARD_TOPIC]),
        handle: async () => {
          await clientOfB.echo({ text: 'card queued' });
        },
      });
      for (const component of [relayA, consumerB, relayB, consumerA]) {
        await component.start();
        running.push(component);
      }
    });

    after(async () => {
      for (const component of running.reverse()) await component.stop();
      clientOfA?.[Symbol.dispose]();
      clientOfB?.[Symbol.dispose]();
      await serverA?.shutdown(1_000);
      await serverB?.shutdown(1_000);
      await infra?.close();
      await t?.shutdown();
    });

    it('follows the call through both event stores, both relays and both consumers', async () => {
      // The request holds personal data; none of it may reach a span.
      await clientOfA.register({ name: 'Nguyễn Văn An 001188000001' });
      const traceparent = await withTimeout(station, 60_000, 'the call back');
      await eventually(() => t.spansNamed(`process ${CARDS}`).length > 0);

      const spans = t.spans();
      const last = spans.find((s) => s.kind === SpanKind.SERVER && s.name === `${ECHO}/Echo`);
      assert.ok(last, 'the call back was traced');
      assert.equal(traceparent?.split('-')[2], last.spanContext().spanId);
      assert.deepEqual(ancestry(last, spans), [
        `SERVER ${ECHO}/Echo`,
        `CLIENT ${ECHO}/Echo`,
        `CONSUMER process ${CARDS}`,
        'CLIENT EventStore.appendToStream',
        `CONSUMER process ${APPLICATIONS}`,
        'CLIENT EventStore.appendToStream',
        `SERVER ${ECHO}/Register`,
        `CLIENT ${ECHO}/Register`,
      ]);

      // Each relay's send carried one request's event: it is in that request's trace, a child of
      // the append (a batch of several requests' records is a trace of its own: send-span.spec).
      const appends = spans
        .filter((s) => s.name === 'EventStore.appendToStream')
        .map((s) => s.spanContext().spanId);
      for (const topic of [APPLICATIONS, CARDS]) {
        const send = spans.find((s) => s.name === `send ${topic}`);
        assert.ok(send, `send ${topic}`);
        assert.equal(send.kind, SpanKind.PRODUCER);
        assert.equal(send.spanContext().traceId, last.spanContext().traceId);
        assert.ok(appends.includes(send.parentSpanContext!.spanId), `send ${topic} is a child of an append`);
      }
      const consumed = t.spansNamed(`process ${APPLICATIONS}`)[0]!;
      assert.equal(consumed.attributes['messaging.consumer.group.name'], 'card-production.applications');
      assert.equal(consumed.attributes['messaging.destination.name'], APPLICATIONS);
      assert.equal(t.spansChecked, spans.length);
      assert.deepEqual(t.privacyViolations, []);
    });

    it('measures the hops with the catalogue’s names and attributes', async () => {
      const collected = await t.collectMetrics();
      for (const [relay, topic] of [
        ['enrollment-relay', APPLICATIONS],
        ['card-production-relay', CARDS],
      ] as const) {
        const published = pointsOf(collected, METRICS.recordsPublished.name).find((p) =>
          hasAttributes(p.attributes, { 'cancuoc.relay.name': relay, 'messaging.destination.name': topic }),
        );
        assert.equal(published?.value, 1, relay);
        const lag = pointsOf(collected, METRICS.relayLag.name).find(
          (p) => p.attributes['cancuoc.relay.name'] === relay,
        );
        assert.equal(lag?.value, 0, `${relay} has caught up`);
        const backlog = pointsOf(collected, METRICS.outboxBacklog.name).find(
          (p) => p.attributes['cancuoc.relay.name'] === relay,
        );
        assert.equal(backlog?.value, 0);
      }
      for (const [group, topic] of [
        ['card-production.applications', APPLICATIONS],
        ['enrollment.cards', CARDS],
      ] as const) {
        const processed = pointsOf(collected, METRICS.consumerProcessDuration.name).find((p) =>
          hasAttributes(p.attributes, {
            'messaging.consumer.group.name': group,
            'messaging.destination.name': topic,
          }),
        );
        assert.equal((processed?.value as { count: number } | undefined)?.count, 1, group);
        const depth = pointsOf(collected, METRICS.deadLetterDepth.name).find((p) =>
          hasAttributes(p.attributes, {
            'messaging.consumer.group.name': group,
            'messaging.destination.name': `${topic}.dlq`,
          }),
        );
        assert.equal(depth?.value, 0, `${group} has no dead letters`);
      }
      const appended = pointsOf(collected, METRICS.eventsAppended.name).map(
        (p) => p.attributes['cancuoc.stream.category'],
      );
      assert.deepEqual(new Set(appended), new Set(['application', 'card']));
    });
  });
}
