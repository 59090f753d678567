/**
 * The failures the messaging library exists to survive, against the Kafka-protocol test broker and
 * PostgreSQL: a relay killed mid-batch, the broker gone while events are appended, and a consumer
 * killed between its effect and its offset commit. (A poison record is in the contract suite, which
 * runs against this broker too.)
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { IdempotentConsumer } from './consumer.js';
import { Relay } from './relay.js';
import { kafkaEnvironment, type MessagingEnvironment } from './test-support/environments.js';
import {
  TYPES,
  appendChanges,
  citizenMapper,
  createEffects,
  effects,
  readAll,
  recordEffect,
  waitFor,
} from './test-support/fixtures.js';
import { toKafkaRecord } from './cloudevents.js';
import { create } from '@bufbuild/protobuf';
import { CitizenRecordChangedSchema } from '@cancuoc/proto';

const TOPICS = {
  relayCrash: { name: 'internal.faults.relay-crash.v1', partitions: 3 },
  brokerDown: { name: 'internal.faults.broker-down.v1', partitions: 3 },
  consumerCrash: { name: 'internal.faults.consumer-crash.v1', partitions: 1 },
};
const script = (name: string) => fileURLToPath(new URL(`./test-support/${name}.js`, import.meta.url));

interface Child {
  /** Resolves at the first stdout line matching `pattern`. */
  waitFor(pattern: RegExp): Promise<void>;
  kill(): Promise<void>;
  readonly exited: Promise<NodeJS.Signals | number | null>;
}

function start(name: string, args: readonly string[]): Child {
  const proc = spawn(process.execPath, [script(name), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  proc.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const w of waiters.splice(0)) {
      if (w.pattern.test(stdout)) w.resolve();
      else waiters.push(w);
    }
  });
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    proc.on('exit', (code, signal) => resolve(signal ?? code)),
  );
  return {
    exited,
    waitFor: (pattern) =>
      Promise.race([
        new Promise<void>((resolve) =>
          pattern.test(stdout) ? resolve() : waiters.push({ pattern, resolve }),
        ),
        exited.then((how) => {
          if (!pattern.test(stdout)) throw new Error(`${name} exited (${how}) before ${pattern}: ${stderr}`);
        }),
      ]),
    async kill() {
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

describe('messaging faults (Kafka-protocol broker, PostgreSQL)', () => {
  let env: MessagingEnvironment;
  before(async () => {
    env = await kafkaEnvironment(Object.values(TOPICS));
    await createEffects(env.db);
  });
  after(() => env?.close());

  it('relay killed mid-batch: after restart every event reaches Kafka', async () => {
    const t = TOPICS.relayCrash.name;
    const ids = await appendChanges(env.store, 3_000, 40);
    const args = [env.location.databaseUrl!, env.location.brokers!.join(','), t];

    // Killed as its third batch is handed over, while the second is on the wire.
    const first = start('relay-process', args);
    await first.waitFor(/SENDING 3\n/);
    await first.kill();
    // Killed after the broker acknowledged a batch but before the checkpoint moved past it.
    const second = start('relay-process', [...args, '--crash-after-ack']);
    assert.equal(await second.exited, 'SIGKILL');

    const relay = new Relay({
      name: 'crash-relay',
      source: '/cancuoc/test',
      store: env.store,
      transport: env.transport,
      map: citizenMapper(t),
      batchSize: 200,
    });
    await relay.start();
    try {
      const records = await readAll(
        env.newTransport(),
        [t],
        (r) => new Set(r.map((x) => x.headers.ce_id)).size >= ids.length,
      );
      const seen = new Set(records.map((r) => r.headers.ce_id));
      assert.deepEqual(
        [...ids].filter((id) => !seen.has(id)),
        [],
        'events missing from Kafka',
      );
      assert.ok(records.length > ids.length, 'the batch acknowledged before the crash was sent again');
    } finally {
      await relay.stop();
    }
  });

  it('broker unreachable while events are appended: the backlog drains once it is back', async () => {
    const t = TOPICS.brokerDown.name;
    const relay = new Relay({
      name: 'broker-down-relay',
      source: '/cancuoc/test',
      store: env.store,
      transport: env.newTransport(),
      map: (event) => (event.streamId.startsWith('down-') ? citizenMapper(t)(event) : []),
      batchSize: 100,
      maxBackoffMs: 1_000,
    });
    const consumer = new IdempotentConsumer({
      subscriber: 'broker-down',
      transport: env.newTransport(),
      db: env.db,
      topics: [t],
      types: TYPES,
      handle: recordEffect('broker-down'),
    });
    const append = async (from: number, count: number) => {
      const ids: string[] = [];
      for (let i = from; i < from + count; i++) {
        const result = await env.store.appendToStream(
          `down-${i % 10}`,
          [{ type: 'NameChanged', data: { familyName: `D${i}` } }],
          {
            metadata: { actor: 'test:clerk' },
          },
        );
        ids.push(result.events[0]!.eventId);
      }
      return ids;
    };
    await relay.start();
    await consumer.start();
    try {
      const ids = await append(0, 50);
      await waitFor(
        'effects before the outage',
        async () => (await effects(env.db, 'broker-down')).length === 50,
      );

      await env.broker!.pause();
      try {
        ids.push(...(await append(50, 300)));
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        const during = await effects(env.db, 'broker-down');
        assert.equal(during.length, 50, 'nothing arrives while the broker is down');
      } finally {
        await env.broker!.resume();
      }

      await waitFor(
        'the backlog to drain',
        async () => (await effects(env.db, 'broker-down')).length === ids.length,
        120_000,
      );
      const done = await effects(env.db, 'broker-down');
      assert.deepEqual(done.map((e) => e.event_id).sort(), [...ids].sort());
      assert.ok(done.every((e) => e.times === 1));
    } finally {
      await consumer.stop();
      await relay.stop();
    }
  });

  it('consumer killed after its effect but before its offset commit: no second effect', async () => {
    const t = TOPICS.consumerCrash.name;
    const ids = Array.from(
      { length: 40 },
      (_, i) => `0192f000-0000-7000-8000-${String(i).padStart(12, '0')}`,
    );
    await env.transport.publish(
      ids.map((id, i) =>
        toKafkaRecord({
          topic: t,
          schema: CitizenRecordChangedSchema,
          data: create(CitizenRecordChangedSchema, { citizenId: `c-${i % 4}` }),
          id,
          source: '/cancuoc/test',
          time: new Date(),
          subject: `c-${i % 4}`,
          traceparent: undefined,
          correlationId: undefined,
          causationId: undefined,
          sequence: i,
        }),
      ),
    );
    const child = start('consumer-process', [
      env.location.databaseUrl!,
      env.location.brokers!.join(','),
      t,
      '10',
    ]);
    assert.equal(await child.exited, 'SIGKILL');
    // The consumer takes effect for a batch of records per transaction, so at least ten took effect.
    const before = (await effects(env.db, 'crash-consumer')).length;
    assert.ok(before >= 10, `${before} effects before the crash`);
    const committed = await env.transport.committedOffsets('crash-consumer', t);
    assert.ok(
      (committed.get(0) ?? 0n) < BigInt(before),
      'the crash came after the effects and before their offsets were committed',
    );

    const consumer = new IdempotentConsumer({
      subscriber: 'crash-consumer',
      transport: env.newTransport(),
      db: env.db,
      topics: [t],
      types: TYPES,
      handle: recordEffect('crash-consumer'),
    });
    await consumer.start();
    try {
      // Every effect, and the records redelivered from the uncommitted offset seen as duplicates.
      await waitFor(
        'every effect and the redelivered records',
        async () =>
          (await effects(env.db, 'crash-consumer')).length === ids.length && consumer.stats.duplicates >= 1,
      );
    } finally {
      await consumer.stop();
    }
    const done = await effects(env.db, 'crash-consumer');
    assert.ok(
      done.every((e) => e.times === 1),
      'an effect happened twice',
    );
    assert.ok(consumer.stats.duplicates >= 1, 'the redelivered records were recognised');
  });
});
