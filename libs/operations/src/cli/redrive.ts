import {
  KafkaTransport,
  kafkaSecurityFromEnv,
  redriveDeadLetters,
  RedriveTimeoutError,
} from '@cancuoc/messaging';
import { operations, topicCatalogue } from '@cancuoc/proto';
import { parse, text } from './args.js';
import { chosenServices } from './audit.js';
import { CliError, EXIT, type CliCommand, type CliIO } from './command.js';
import { command } from './run.js';
import { CONNECTION_OPTIONS, CONNECTION_USAGE, Connection, SERVICES, type ServiceName } from './services.js';
import { table } from './table.js';

const USAGE = `Usage: cancuoc redrive --list [--service <name>] [connection flags]
       cancuoc redrive <topic> [--subscriber <group>] [--brokers host:port,…] [connection flags]

Lists the dead letters the services' consumers left (per consumed topic and subscriber), or sends
the dead letters of <topic> (read from <topic>.dlq) back to it once their cause is fixed; each
subscriber's inbox skips what it had already processed. Those that fail again wait for the next
redrive.

Where it runs:
  embedded platform  (no KAFKA_BROKERS) the services' OperationsService redrives over their
                     shared in-process transport
  Kafka              (KAFKA_BROKERS or --brokers) this command redrives itself, as the operator's
                     Kafka user (KAFKA_SASL_USERNAME=cancuoc-operator, KAFKA_SASL_PASSWORD,
                     KAFKA_TLS_CA_FILE, …): no service may write a topic it consumes

  --list                 depth per topic and subscriber (from the services)
  --subscriber <group>   only the dead letters of this consumer group, e.g. data-sharing.citizens
  --service <name>       with --list: only this service
  --brokers <list>       Kafka bootstrap servers (else KAFKA_BROKERS)

Exit 0 on success, 1 when a service or the brokers are unreachable or refuse, 2 for a wrong
command line.

${CONNECTION_USAGE}
`;

async function list(connection: Connection, services: readonly ServiceName[], io: CliIO): Promise<number> {
  const rows: string[][] = [];
  let code: number = EXIT.ok;
  for (const service of services) {
    try {
      const r = await connection.call(service, operations.OperationsService, (c) => c.listDeadLetters({}));
      for (const q of r.queues)
        rows.push([
          service,
          q.topic,
          q.subscriber,
          q.depth === undefined ? `? (${q.depthUnavailable})` : String(q.depth),
        ]);
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      code = EXIT.failed;
      io.stderr(`cancuoc redrive: ${error.message}\n`);
    }
  }
  io.stdout(table(['SERVICE', 'TOPIC', 'SUBSCRIBER', 'DEAD LETTERS'], rows));
  return code;
}

/** Consumed topics: every topic of the catalogue has a dead-letter topic beside it. */
function checkTopic(topic: string): void {
  if (topic.endsWith('.dlq'))
    throw new CliError(
      `name the topic, not its dead-letter topic (${topic.slice(0, -'.dlq'.length)})`,
      EXIT.usage,
    );
  if (!topicCatalogue().some((t) => t.name === topic))
    throw new CliError(`"${topic}" is not a topic of the catalogue`, EXIT.usage);
}

async function overKafka(
  brokers: readonly string[],
  topic: string,
  subscriber: string | undefined,
  io: CliIO,
): Promise<number> {
  let security;
  try {
    security = kafkaSecurityFromEnv(io.env);
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : 'bad Kafka security settings', EXIT.usage);
  }
  const transport = new KafkaTransport({
    brokers,
    clientId: 'cancuoc-operator',
    idempotent: io.env.KAFKA_IDEMPOTENT !== 'false',
    ...security,
  });
  try {
    const r = await redriveDeadLetters({ transport, topic, ...(subscriber && { subscriber }) });
    io.stdout(`${topic}: ${r.redriven} redriven, ${r.skipped} of other subscribers left (over Kafka)\n`);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof RedriveTimeoutError) throw new CliError(error.message);
    throw new CliError(
      `redrive over Kafka (${brokers.join(',')}) failed: ${error instanceof Error ? error.name : 'error'}`,
    );
  } finally {
    await transport.close().catch(() => undefined);
  }
}

async function overServices(
  connection: Connection,
  topic: string,
  subscriber: string | undefined,
  io: CliIO,
): Promise<number> {
  // Each subscriber's dead letters are redriven by the service that owns it.
  const owner = subscriber?.split('.')[0];
  const services = subscriber
    ? SERVICES.filter((s) => s.name === owner).map((s) => s.name)
    : SERVICES.map((s) => s.name);
  if (services.length === 0)
    throw new CliError(`"${subscriber}" is no service's consumer group (<service>.<purpose>)`, EXIT.usage);
  const targets: Array<{ service: ServiceName; subscriber: string }> = [];
  const unreachable: string[] = [];
  for (const service of services) {
    try {
      const r = await connection.call(service, operations.OperationsService, (c) => c.listDeadLetters({}));
      for (const q of r.queues)
        if (q.topic === topic && (subscriber === undefined || q.subscriber === subscriber))
          targets.push({ service, subscriber: q.subscriber });
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      unreachable.push(error.message);
    }
  }
  for (const message of unreachable) io.stderr(`cancuoc redrive: ${message}\n`);
  if (targets.length === 0) {
    if (unreachable.length > 0) return EXIT.failed;
    throw new CliError(
      subscriber ? `${subscriber} does not consume ${topic}` : `no service consumes ${topic}`,
    );
  }
  for (const t of targets) {
    const r = await connection.call(t.service, operations.OperationsService, (c) =>
      c.redriveDeadLetters(
        { topic, subscriber: t.subscriber },
        { timeoutMs: Math.max(connection.timeoutMs, 90_000) },
      ),
    );
    io.stdout(`${topic} (${t.subscriber}): ${r.redriven} redriven\n`);
  }
  return unreachable.length > 0 ? EXIT.failed : EXIT.ok;
}

export const redriveCommand: CliCommand = command(
  { name: 'redrive', summary: 'list dead letters, or send them back to their topic', usage: USAGE },
  async (argv, io) => {
    const { values, positionals } = parse(argv, {
      ...CONNECTION_OPTIONS,
      service: { type: 'string' },
      subscriber: { type: 'string' },
      brokers: { type: 'string' },
      list: { type: 'boolean' },
    });
    if (values.list === true) {
      if (positionals.length > 0) throw new CliError('--list takes no topic', EXIT.usage);
      return list(new Connection(values, io.env), chosenServices(values.service, false), io);
    }
    if (positionals.length !== 1)
      throw new CliError(
        positionals.length === 0 ? 'name a topic, or --list' : 'one topic at a time',
        EXIT.usage,
      );
    if (values.service !== undefined)
      throw new CliError('--service goes with --list; a redrive is chosen by --subscriber', EXIT.usage);
    const topic = positionals[0]!;
    checkTopic(topic);
    const subscriber = text(values.subscriber);
    if (subscriber !== undefined && !/^[a-z0-9-]+\.[a-z0-9.-]+$/.test(subscriber))
      throw new CliError('--subscriber must be a consumer group such as data-sharing.citizens', EXIT.usage);
    const brokers = (text(values.brokers) ?? io.env.KAFKA_BROKERS ?? '')
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean);
    if (brokers.length > 0) return overKafka(brokers, topic, subscriber, io);
    return overServices(new Connection(values, io.env), topic, subscriber, io);
  },
);
