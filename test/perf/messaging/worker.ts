/**
 * One system under test, in a process of its own, so that neither pays for the other's event loop,
 * garbage or JIT. The parent sends one request at a time, so the systems never run at the same moment.
 *
 *   worker.js <ours|raw> <database url> <broker,broker,...>
 */
import { Ours } from './ours.js';
import { Raw } from './raw.js';
import type { Measurement, Request, Response, SystemName } from './workload.js';

function send(message: Response): Promise<void> {
  return new Promise((resolve, reject) =>
    process.send!(message, undefined, {}, (e) => (e ? reject(e) : resolve())),
  );
}

async function main(): Promise<void> {
  const name = process.argv[2] as SystemName;
  const databaseUrl = process.argv[3]!;
  const brokers = process.argv[4]!.split(',');
  const system =
    name === 'ours' ? await Ours.open(databaseUrl, brokers) : await Raw.open(databaseUrl, brokers);

  const handle = async (request: Request): Promise<Measurement | null> => {
    switch (request.op) {
      case 'fill':
        if (!(system instanceof Ours)) throw new Error('only ours fills the event store');
        return system.fill(request.events, request.eventsPerAppend, request.writers);
      case 'prepare':
        return system.prepare(request.topic, request.warmupRecords);
      case 'throughput':
        return system instanceof Ours
          ? system.relayAll(request.tag, request.topic, request.batchSize)
          : system.produceAll(request.batchSize);
      case 'latency':
        return system.latency(request.spec);
      case 'drain':
        return system.drain(request.tag, request.topic, request.events);
      case 'close':
        await system.close();
        return null;
    }
  };

  // Requests are handled strictly one after another.
  let queue = Promise.resolve();
  process.on('message', (request: Request) => {
    queue = queue.then(async () => {
      try {
        await send({ kind: 'done', id: request.id, result: await handle(request) });
      } catch (error) {
        await send({ kind: 'failed', id: request.id, error: (error as Error).stack ?? String(error) });
      }
      if (request.op === 'close') process.disconnect();
    });
  });
  await send({ kind: 'ready' });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
