import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { DevelopmentIssuer, type CallerKind, type Identity } from '@cancuoc/auth';
import { parse, text } from './args.js';
import { CliError, EXIT, type CliCommand } from './command.js';
import { existingIssuerFile } from './credentials.js';
import { command } from './run.js';
import { SERVICES, isServiceName } from './services.js';

const USAGE = `Usage: cancuoc token --role ROLE --audience SERVICE [options]

Prints a token from the embedded platform's development issuer (DIR/issuer.json), for trying an
RPC by hand (grpcurl -H "authorization: Bearer $(cancuoc token …)"). The caller kind follows from
the role: encoding-station and enrollment-station make a station's token, agency an agency's,
service a service's, any other a person's. Only for a development platform: in server mode
(CANCUOC_OIDC_ISSUER or DATABASE_URL set) it refuses, unless --issuer-key names the key file of the
issuer the services trust.

  --role ROLE          clerk, national, operator, supervisor, admin, encoding-station,
                       enrollment-station, agency or service; repeat it for several (a national
                       clerk: --role clerk --role national)
  --audience SERVICE   registry, enrollment, card-production or data-sharing
  --subject S          the token's sub (default: <role>:<your login>, station:<ID>, agency:<CODE>;
                       a service's is service:<name>, required)
  --unit CODE          a clerk's administrative unit: a province (2 digits) or commune (5 digits)
  --station ID         a station's id
  --agency CODE        an agency's code
  --ttl SECONDS        lifetime, 1-43200 (default 3600)
  --data-dir DIR       the embedded platform's folder (default: $CANCUOC_DATA_DIR or .data)
  --issuer-key FILE    the issuer's key file instead of DIR/issuer.json

An operator at an enrollment station sends two tokens: their own (--role operator) as the bearer,
and the station's (--role enrollment-station --station ID) in the x-station-token header.

Exit 0 with the token on stdout, 1 when refused (server mode) or the issuer cannot be read, 2 for a
wrong command line.
`;

const PERSON_ROLES = ['clerk', 'national', 'operator', 'supervisor', 'admin'];
const KIND_OF_ROLE: Readonly<Record<string, CallerKind>> = {
  ...Object.fromEntries(PERSON_ROLES.map((r) => [r, 'person' as const])),
  'encoding-station': 'station',
  'enrollment-station': 'station',
  agency: 'agency',
  service: 'service',
};
const NAME = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const UNIT = /^\d{2}(\d{3})?$/;
const MAX_TTL = 12 * 3600;

const usage = (message: string) => new CliError(message, EXIT.usage);

function login(): string {
  try {
    return userInfo().username.replace(/[^A-Za-z0-9._-]/g, '') || 'developer';
  } catch {
    return 'developer';
  }
}

function rolesOf(raw: unknown): string[] {
  const given = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]) as unknown[];
  const roles = [
    ...new Set(
      given
        .flatMap((r) => String(r).split(','))
        .map((r) => r.trim())
        .filter(Boolean),
    ),
  ];
  if (roles.length === 0) throw usage('--role ROLE is required');
  for (const role of roles)
    if (!KIND_OF_ROLE[role]) throw usage(`unknown role "${role}" (${Object.keys(KIND_OF_ROLE).join(', ')})`);
  return roles;
}

/** The identity a token is made for, from the flags: the kind from the roles, its claims checked. */
export function identityOf(values: {
  role: unknown;
  subject?: string | undefined;
  unit?: string | undefined;
  station?: string | undefined;
  agency?: string | undefined;
}): Identity {
  const roles = rolesOf(values.role);
  const kinds = new Set(roles.map((r) => KIND_OF_ROLE[r]!));
  if (kinds.size > 1) throw usage(`--role ${roles.join(', ')}: one kind of caller per token`);
  const kind = [...kinds][0]!;
  const { subject, unit, station, agency } = values;
  if (subject !== undefined && !NAME.test(subject))
    throw usage('--subject: 1-128 of A-Z, a-z, 0-9, and . _ : @ -');
  if (unit !== undefined && kind !== 'person') throw usage('--unit is a clerk’s (a person’s) claim');
  if (station !== undefined && kind !== 'station')
    throw usage(
      kind === 'person'
        ? '--station is not a person’s claim: an operator sends the station’s own token (--role enrollment-station --station ID) in x-station-token'
        : '--station is a station’s claim',
    );
  if (agency !== undefined && kind !== 'agency') throw usage('--agency is an agency’s claim');
  const after = (prefix: string) => (subject?.startsWith(prefix) ? subject.slice(prefix.length) : undefined);
  switch (kind) {
    case 'person': {
      if (roles.includes('national') && !roles.includes('clerk'))
        throw usage('--role national widens a clerk’s jurisdiction: give --role clerk too');
      if (roles.includes('clerk') && unit === undefined)
        throw usage('a clerk needs --unit CODE, their administrative unit (a national clerk’s too)');
      if (unit !== undefined && !UNIT.test(unit))
        throw usage('--unit: a province (2 digits) or a commune (5 digits) code');
      const first = roles[0] === 'national' ? 'clerk' : roles[0]!;
      return { subject: subject ?? `${first}:${login()}`, kind, roles, ...(unit !== undefined && { unit }) };
    }
    case 'station': {
      const id = station ?? after('station:');
      if (id === undefined) throw usage('a station needs --station ID');
      if (!ID.test(id)) throw usage('--station: 1-64 of A-Z, a-z, 0-9, . _ -');
      return { subject: subject ?? `station:${id}`, kind, roles, station: id };
    }
    case 'agency': {
      const code = agency ?? after('agency:');
      if (code === undefined) throw usage('an agency needs --agency CODE');
      if (!ID.test(code)) throw usage('--agency: 1-64 of A-Z, a-z, 0-9, . _ -');
      return { subject: subject ?? `agency:${code}`, kind, roles, agency: code };
    }
    case 'service': {
      const name = after('service:');
      if (name === undefined || !isServiceName(name))
        throw usage(
          `a service's token needs --subject service:<name> (${SERVICES.map((s) => s.name).join(', ')})`,
        );
      return { subject: subject!, kind, roles, service: name };
    }
  }
}

export const tokenCommand: CliCommand = command(
  {
    name: 'token',
    summary: 'print a token from the development issuer, for a role and a service (not in server mode)',
    usage: USAGE,
  },
  async (argv, io) => {
    const { values, positionals } = parse(argv, {
      role: { type: 'string', multiple: true },
      audience: { type: 'string' },
      subject: { type: 'string' },
      unit: { type: 'string' },
      station: { type: 'string' },
      agency: { type: 'string' },
      ttl: { type: 'string' },
      'data-dir': { type: 'string' },
      'issuer-key': { type: 'string' },
    });
    if (positionals.length > 0) throw usage(`unexpected argument "${positionals[0]!}"`);
    const identity = identityOf({
      role: values.role,
      subject: text(values.subject),
      unit: text(values.unit),
      station: text(values.station),
      agency: text(values.agency),
    });
    const audience = text(values.audience);
    if (audience === undefined) throw usage('--audience SERVICE is required');
    if (!isServiceName(audience))
      throw usage(`unknown service "${audience}" (${SERVICES.map((s) => s.name).join(', ')})`);
    const ttlText = text(values.ttl);
    const ttlSeconds = ttlText === undefined ? 3_600 : Number(ttlText);
    if (
      !/^\d+$/.test(ttlText ?? '1') ||
      !Number.isSafeInteger(ttlSeconds) ||
      ttlSeconds < 1 ||
      ttlSeconds > MAX_TTL
    )
      throw usage(`--ttl: whole seconds from 1 to ${MAX_TTL}`);

    const issuerKey = text(values['issuer-key']);
    const server = [
      io.env.CANCUOC_OIDC_ISSUER && 'CANCUOC_OIDC_ISSUER',
      io.env.DATABASE_URL && 'DATABASE_URL',
    ]
      .filter(Boolean)
      .join(' and ');
    if (server && issuerKey === undefined)
      throw new CliError(
        `refused: ${server} set, so this is server mode, where tokens come from the OpenID provider ` +
          '(cancuoc login). Only with the key file of the issuer the services trust: --issuer-key FILE',
      );
    let file: string;
    if (issuerKey !== undefined) {
      if (!existsSync(issuerKey)) throw new CliError(`no issuer key file ${issuerKey}`);
      file = issuerKey;
    } else file = existingIssuerFile({ dataDir: text(values['data-dir']) }, io.env);
    let issuer: DevelopmentIssuer;
    try {
      issuer = await DevelopmentIssuer.open(file);
    } catch {
      throw new CliError(`cannot read the issuer's keys in ${file}`);
    }
    io.stdout(`${await issuer.mint({ ...identity, audience, ttlSeconds })}\n`);
    return EXIT.ok;
  },
);
