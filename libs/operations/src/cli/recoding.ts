import { randomUUID } from 'node:crypto';
import { identities } from '@cancuoc/auth';
import {
  channelCredentialsFor,
  closeClient,
  createClient,
  readErrorDetails,
  status,
  TlsConfigError,
  type GrpcClient,
} from '@cancuoc/grpc';
import { RegistryService } from '@cancuoc/proto';
import { parse, text } from './args.js';
import { CliError, EXIT, type CliCommand } from './command.js';
import { cliCredentials } from './credentials.js';
import { command } from './run.js';
import { callError, CONNECTION_OPTIONS, CONNECTION_USAGE, Connection } from './services.js';
import { table } from './table.js';

const USAGE = `Usage: cancuoc recoding list (--commune OLD_CODE | --province CODE) [--all] [--page-size N]
                              [--page-token T] [--purpose TEXT] [clerk flags] [connection flags]
       cancuoc recoding choose <personal-id> <commune-code> [clerk flags] [connection flags]

The register's recoding queue (issue 21): citizens whose permanent residence was recorded in a
commune the 2025 reorganisation divided (or dissolved with no successor the data names), which a
clerk works through by choosing the commune of today each one lies in.
  list     the queue of an old commune (5 digits, as recorded) or of a province of today (3 digits,
           079), by old commune then record: the address as recorded and the candidates
           (RegistryService/ListRecodingQueue; every citizen listed is audited with --purpose)
  choose   records that the citizen's residence lies in <commune-code>, one of the candidates: an
           event in the citizen's history (RegistryService/RecodeResidence); the recorded address
           is kept beside it

These are a clerk's commands: the register allows them to clerks within their jurisdiction.
Clerk (embedded platform; in server mode you are who you signed in as):
  --unit U         your unit: a province (2 digits, 79) or a commune of today (5 digits)
  --national       no limit of unit

Exit 0 done, 1 refused or unreachable, 2 for a wrong command line.

${CONNECTION_USAGE}
`;

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  commune: { type: 'string' },
  province: { type: 'string' },
  all: { type: 'boolean' },
  'page-size': { type: 'string' },
  'page-token': { type: 'string' },
  purpose: { type: 'string' },
  unit: { type: 'string' },
  national: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parse<typeof OPTIONS>>['values'];

/**
 * Calls the registry as the clerk the flags name (`clerk:<staff>` of `--unit`, or `--national`)
 * with the same credentials, addresses and refusals as every other command ({@link Connection}).
 */
async function asClerk<T>(
  values: Values,
  env: NodeJS.ProcessEnv,
  use: (client: GrpcClient<typeof RegistryService>) => Promise<T>,
): Promise<T> {
  const connection = new Connection(values, env);
  const unit = text(values.unit);
  const national = values.national === true;
  if (unit !== undefined && !/^(\d{2}|\d{5})$/.test(unit))
    throw new CliError('--unit is a province (2 digits) or a commune (5 digits)', EXIT.usage);
  const credentials = cliCredentials({ dataDir: text(values['data-dir']) }, env);
  if (credentials.perIdentity && unit === undefined && !national)
    throw new CliError('say whose jurisdiction: --unit U or --national', EXIT.usage);
  const staff = text(values.staff) ?? env.CANCUOC_STAFF_ID ?? 'clerk';
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(staff))
    throw new CliError('--staff must be a staff id (letters, digits, . _ -)', EXIT.usage);
  const clerk = identities.clerk(staff, unit ?? '', { national });
  await credentials.ready?.([clerk]);
  const { tokens, tls } = credentials.as(clerk);
  const address = connection.address('registry');
  let channel;
  try {
    channel = channelCredentialsFor(tls);
  } catch (error) {
    if (error instanceof TlsConfigError) throw new CliError(error.message);
    throw error;
  }
  const client = createClient(RegistryService, address, {
    credentials: channel,
    defaultTimeoutMs: connection.timeoutMs,
    metadata: async () => ({ authorization: `Bearer ${await tokens.token('registry')}` }),
  });
  try {
    return await use(client);
  } catch (error) {
    const details = readErrorDetails(error);
    if (details?.code === status.PERMISSION_DENIED)
      throw new CliError(
        `registry at ${address}: PERMISSION_DENIED: ${details.message} (a clerk within the unit is needed)`,
      );
    throw callError('registry', address, error);
  } finally {
    closeClient(client);
  }
}

const MAX_PAGES = 200;

async function list(values: Values, env: NodeJS.ProcessEnv): Promise<string> {
  const commune = text(values.commune);
  const province = text(values.province);
  if ((commune === undefined) === (province === undefined))
    throw new CliError('list the queue of --commune OLD_CODE or of --province CODE', EXIT.usage);
  const pageSize = Number(text(values['page-size']) ?? '100');
  if (!Number.isInteger(pageSize) || pageSize <= 0)
    throw new CliError('--page-size must be a positive whole number', EXIT.usage);
  const scope =
    commune !== undefined
      ? ({ case: 'oldCommuneCode', value: commune } as const)
      : ({ case: 'provinceCode', value: province! } as const);
  const purpose = text(values.purpose) ?? 'address recoding after the 2025 reorganisation';
  const rows: string[][] = [];
  let pageToken = text(values['page-token']) ?? '';
  await asClerk(values, env, async (client) => {
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const r = await client.listRecodingQueue({ scope, pageSize, pageToken, purpose });
      for (const e of r.entries) {
        const name = [e.name?.familyName, e.name?.middleName, e.name?.givenName].filter(Boolean).join(' ');
        rows.push([
          `${e.recorded?.communeCode ?? ''} ${e.recordedCommuneName}`,
          e.personalId,
          name,
          e.since,
          e.recorded?.detail || '-',
          e.reason,
          e.candidates.map((c) => `${c.code} ${c.name}`).join('; ') ||
            `(a commune of ${e.provinceCode || '?'})`,
        ]);
      }
      pageToken = r.nextPageToken;
      if (!pageToken || values.all !== true) break;
    }
  });
  const header = ['OLD COMMUNE', 'PERSONAL ID', 'NAME', 'SINCE', 'ADDRESS', 'REASON', 'CANDIDATES'];
  const more = pageToken ? `more: --page-token ${pageToken} (or --all)\n` : '';
  return table(header, rows) + more;
}

export const recodingCommand: CliCommand = command(
  { name: 'recoding', summary: "work through the register's recoding queue (list, choose)", usage: USAGE },
  async (argv, io) => {
    const { values, positionals } = parse(argv, OPTIONS);
    const [sub, ...rest] = positionals;
    if (sub === 'list') {
      if (rest.length > 0) throw new CliError(`unexpected argument "${rest[0]!}"`, EXIT.usage);
      io.stdout(await list(values, io.env));
      return EXIT.ok;
    }
    if (sub === 'choose') {
      const [personalId, communeCode, extra] = rest;
      if (personalId === undefined || communeCode === undefined)
        throw new CliError('choose <personal-id> <commune-code>', EXIT.usage);
      if (extra !== undefined) throw new CliError(`unexpected argument "${extra}"`, EXIT.usage);
      const r = await asClerk(values, io.env, (client) =>
        client.recodeResidence({ citizen: { personalId }, communeCode }, { idempotencyKey: randomUUID() }),
      );
      io.stdout(`recoded: record version ${r.result?.recordVersion ?? '?'}\n`);
      return EXIT.ok;
    }
    throw new CliError(sub === undefined ? 'list or choose?' : `unknown subcommand "${sub}"`, EXIT.usage);
  },
);
