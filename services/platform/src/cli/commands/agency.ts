import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fromBinary } from '@bufbuild/protobuf';
import { Kafka, logLevel } from 'kafkajs';
import { identities } from '@cancuoc/auth';
import { kafkaSecurityFromEnv } from '@cancuoc/messaging';
import { partner, partnerTopicsOf } from '@cancuoc/proto';
import { DEMO_AGENCY, agencyRecordJson, agencyView } from '../../flow/agency.js';
import { integerFlag, parseFlags } from '../args.js';
import { CliFailure, EXIT, UsageError, type CliCommand, type CliIO } from '../command.js';
import { CONNECTION_FLAGS, CONNECTION_USAGE, Connection } from '../connection.js';

const usage = `cancuoc agency: be an agency, and print what it receives

Prints, one JSON line per citizen, exactly what the agency's subscription lets it see — the
agency's own data, which is this command's purpose. Two ways in, as an agency has:
- Kafka (KAFKA_BROKERS set, or --brokers): reads the agency's compacted topic
  partner.<CODE>.citizen.v1 from the beginning and follows it; a tombstone prints {"citizenId", "left": true}.
- gRPC (otherwise, e.g. the embedded platform, whose topics live inside its process):
  AgencyQueryService.BatchGetCitizens for the citizens named by --citizen or --ids, printed when
  first seen and whenever what the agency sees of them changes.

Usage: cancuoc agency [options]

Options:
  --agency CODE       the agency (default ${DEMO_AGENCY.agency}, the demo's)
  --purpose P         the purpose its queries state (default ${DEMO_AGENCY.purpose})
  --brokers LIST      Kafka bootstrap servers (default $KAFKA_BROKERS)
  --citizen ID        a citizen record id to watch over gRPC; repeat for several
  --ids FILE          citizen record ids, one a line (e.g. from cancuoc seed --ids or cancuoc demo --ids)
  --max N             stop after printing N records
  --once              gRPC: print once and stop
  --interval-ms MS    gRPC: how often to look (default 1000)
  -h, --help          this text
${CONNECTION_USAGE}
Exit codes: 0 done or stopped, 1 failed (not reachable, subscription not active), 2 bad usage.
`;

interface Printer {
  print(line: Record<string, unknown>): void;
  readonly full: boolean;
}

function printer(io: CliIO, max: number | undefined, onFull: () => void): Printer {
  let printed = 0;
  return {
    print(line) {
      if (max !== undefined && printed >= max) return;
      io.stdout(`${JSON.stringify(line)}\n`);
      printed++;
      if (max !== undefined && printed >= max) onFull();
    },
    get full() {
      return max !== undefined && printed >= max;
    },
  };
}

async function viaKafka(
  io: CliIO,
  brokers: string[],
  agency: string,
  max: number | undefined,
): Promise<number> {
  const kafka = new Kafka({
    clientId: `cancuoc-agency-${agency}`,
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 3 },
    ...kafkaSecurityFromEnv(io.env),
  });
  const consumer = kafka.consumer({ groupId: `${agency}.cancuoc-cli-${randomUUID()}`, maxWaitTimeInMs: 200 });
  const stopped = new AbortController();
  const stop = () => stopped.abort();
  io.signal?.addEventListener('abort', stop, { once: true });
  const out = printer(io, max, stop);
  try {
    try {
      await consumer.connect();
    } catch {
      throw new CliFailure(`Kafka is not reachable at ${brokers.join(',')}`);
    }
    await consumer.subscribe({ topic: partnerTopicsOf(agency)[0].name, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const citizenId = message.key?.toString() ?? '';
        if (!message.value) out.print({ citizenId, left: true });
        else out.print(agencyRecordJson(fromBinary(partner.PartnerCitizenSchema, message.value)));
      },
    });
    if (!stopped.signal.aborted)
      await new Promise((resolve) => stopped.signal.addEventListener('abort', resolve, { once: true }));
    return EXIT.ok;
  } finally {
    io.signal?.removeEventListener('abort', stop);
    await consumer.disconnect().catch(() => undefined);
  }
}

async function viaGrpc(
  io: CliIO,
  connection: Connection,
  options: {
    agency: string;
    purpose: string;
    ids: string[];
    max?: number;
    once: boolean;
    intervalMs: number;
  },
): Promise<number> {
  if (options.ids.length === 0)
    throw new UsageError('without Kafka, name the citizens to watch: --citizen ID or --ids FILE');
  await connection.expectServing(['data-sharing']);
  await connection.prepare([identities.agency(options.agency)]);
  const seen = new Map<string, string>();
  let full = false;
  const out = printer(io, options.max, () => (full = true));
  for (;;) {
    const view = await agencyView(connection, options.agency, options.purpose, options.ids).catch(
      (error: unknown) => {
        const reason = (error as { details?: string }).details;
        throw new CliFailure(`data sharing refused the agency's read${reason ? `: ${reason}` : ''}`);
      },
    );
    for (const [citizenId, citizen] of view) {
      const line = citizen ? agencyRecordJson(citizen) : { citizenId, visible: false };
      const text = JSON.stringify(line);
      if (seen.get(citizenId) === text) continue;
      if (!citizen && !seen.has(citizenId) && !options.once) continue;
      seen.set(citizenId, text);
      out.print(line);
    }
    if (options.once || full || io.signal?.aborted) return EXIT.ok;
    await new Promise((r) => setTimeout(r, options.intervalMs));
    if (io.signal?.aborted) return EXIT.ok;
  }
}

export const agencyCommand: CliCommand = {
  name: 'agency',
  summary: 'subscribe as an agency and print what it receives (Kafka, or gRPC when embedded)',
  usage,
  async run(argv, io) {
    const flags = parseFlags(argv, {
      ...CONNECTION_FLAGS,
      agency: { type: 'string' },
      purpose: { type: 'string' },
      brokers: { type: 'string' },
      citizen: { type: 'string', multiple: true },
      ids: { type: 'string' },
      max: { type: 'string' },
      once: { type: 'boolean' },
      'interval-ms': { type: 'string' },
    });
    const agency = flags.agency ?? DEMO_AGENCY.agency;
    if (!/^[a-z][a-z0-9-]{1,40}$/.test(agency)) throw new UsageError('--agency: a lower-case agency code');
    const max = flags.max === undefined ? undefined : integerFlag('max', flags.max, 0, 1);
    const brokers = (flags.brokers ?? io.env.KAFKA_BROKERS ?? '')
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean);
    if (brokers.length > 0) return viaKafka(io, brokers, agency, max);
    const ids = [...(flags.citizen ?? [])];
    if (flags.ids) {
      let text: string;
      try {
        text = await readFile(flags.ids, 'utf8');
      } catch {
        throw new CliFailure(`cannot read ${flags.ids}`);
      }
      ids.push(...text.split(/\s+/).filter(Boolean));
    }
    const connection = Connection.from(flags, io.env);
    try {
      return await viaGrpc(io, connection, {
        agency,
        purpose: flags.purpose ?? DEMO_AGENCY.purpose,
        ids,
        max,
        once: flags.once ?? false,
        intervalMs: integerFlag('interval-ms', flags['interval-ms'], 1_000, 50, 3_600_000),
      });
    } finally {
      connection.close();
    }
  },
};
