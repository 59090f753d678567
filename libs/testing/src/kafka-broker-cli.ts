/**
 * Starts a mock Kafka cluster for a whole test run, e.g. from a shell script:
 *
 *   node libs/testing/dist/kafka-broker-cli.js [--brokers N] [--catalogue] events:3 audit:1
 *
 * `--catalogue` creates every topic of the topic catalogue (libs/proto) besides the ones named.
 *
 * Prints `KAFKA_BROKERS=host:port,...` once ready and runs until SIGTERM or SIGINT.
 */
import { parseArgs } from 'node:util';
import { catalogueTopics } from './catalogue.js';
import { startKafkaBroker, type KafkaTopicSpec } from './kafka-broker.js';

const USAGE = 'usage: kafka-broker-cli [--brokers N] [--catalogue] name:partitions ...';

function parseTopic(spec: string): KafkaTopicSpec {
  const match = /^(.+):(\d+)$/.exec(spec);
  if (match?.[1] === undefined || match[2] === undefined) {
    throw new Error(`invalid topic "${spec}", expected name:partitions\n${USAGE}`);
  }
  return { name: match[1], partitions: Number(match[2]) };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { brokers: { type: 'string' }, catalogue: { type: 'boolean' } },
    allowPositionals: true,
  });
  const broker = await startKafkaBroker({
    topics: [...(values.catalogue ? catalogueTopics() : []), ...positionals.map(parseTopic)],
    brokers: values.brokers === undefined ? undefined : Number(values.brokers),
  });
  process.stdout.write(`KAFKA_BROKERS=${broker.bootstrapServers.join(',')}\n`);

  // Neither signal listeners nor the detached broker keep Node running.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  let stopping = false;
  const shutDown = (): void => {
    stopping = true;
    broker.stop().then(
      () => clearInterval(keepAlive),
      (error: unknown) => {
        console.error(error instanceof Error ? error.message : error);
        process.exitCode = 1;
        clearInterval(keepAlive);
      },
    );
  };
  process.once('SIGTERM', shutDown);
  process.once('SIGINT', shutDown);

  const exit = await broker.exited;
  if (!stopping) {
    console.error(`mock Kafka broker exited unexpectedly (code ${exit.code}, signal ${exit.signal})`);
    process.exitCode = 1;
    clearInterval(keepAlive);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
