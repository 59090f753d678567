/**
 * Starts the test OpenID Connect provider for a whole test run, e.g. for the server-mode
 * end-to-end test or from a shell script:
 *
 *   node libs/testing/dist/oidc-provider-cli.js [--port N] [--poll-interval S] config.json
 *
 * config.json names the machine clients and the people:
 *
 *   {
 *     "clients": [
 *       { "clientId": "service:registry", "keyFile": "keys/registry.pem",
 *         "claims": { "kind": "service", "roles": ["service"], "service": "registry" } },
 *       { "clientId": "agency:bhxh", "publicJwk": { "kty": "EC", "crv": "P-256", "x": "…", "y": "…" },
 *         "claims": { "kind": "agency", "roles": ["agency"], "agency": "bhxh" } }
 *     ],
 *     "accounts": [{ "accountId": "clerk:an", "claims": { "kind": "person", "roles": ["clerk"], "unit": "01" } }],
 *     "audiences": ["registry", "enrollment", "card-production", "data-sharing"],
 *     "accessTokenTtlSeconds": 600
 *   }
 *
 * A client's `keyFile` (relative to the config file) is its PKCS#8 PEM private key — the
 * service's `CANCUOC_CLIENT_KEY_FILE`; it is created (mode 0600) when missing. Or give the public
 * key alone as `publicJwk`. `audiences` and `accessTokenTtlSeconds` are optional.
 *
 * Prints `CANCUOC_OIDC_ISSUER=http://127.0.0.1:<port>` once ready and runs until SIGTERM or
 * SIGINT. SIGUSR1 rotates the signing key (the old one stays published), SIGUSR2 retires the old
 * ones; both then print `CANCUOC_OIDC_KEYS=<signing kid>,<other kids>`. A person's device login is
 * approved with `approveDevice(issuer, userCode, accountId)` from `@cancuoc/testing`.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { exportPKCS8, generateKeyPair, type JWK } from 'jose';
import {
  startOidcProvider,
  type OidcAccount,
  type OidcMachineClient,
  type OidcTokenClaims,
} from './oidc-provider.js';

const USAGE = 'usage: oidc-provider-cli [--port N] [--poll-interval S] config.json';

interface ClientConfig {
  readonly clientId?: unknown;
  readonly claims?: unknown;
  readonly publicJwk?: unknown;
  readonly keyFile?: unknown;
}

interface ProviderConfig {
  readonly clients?: readonly ClientConfig[];
  readonly accounts?: readonly { readonly accountId?: unknown; readonly claims?: unknown }[];
  readonly audiences?: readonly string[];
  readonly accessTokenTtlSeconds?: number;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The public JWK of the PKCS#8 key in `file`, creating the file with a new ES256 key if missing. */
async function publicJwkOfKeyFile(file: string): Promise<JWK> {
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    pem = await exportPKCS8(privateKey);
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await writeFile(file, pem, { mode: 0o600, flag: 'wx' });
  }
  return createPublicKey(createPrivateKey(pem)).export({ format: 'jwk' }) as JWK;
}

async function machineClient(entry: ClientConfig, base: string, index: number): Promise<OidcMachineClient> {
  const where = `clients[${index}]`;
  if (typeof entry.clientId !== 'string') throw new Error(`${where}: clientId must be a string`);
  if (!isObject(entry.claims)) throw new Error(`${where} (${entry.clientId}): claims must be an object`);
  let publicJwk: JWK;
  if (typeof entry.keyFile === 'string') publicJwk = await publicJwkOfKeyFile(resolve(base, entry.keyFile));
  else if (isObject(entry.publicJwk)) publicJwk = entry.publicJwk as JWK;
  else throw new Error(`${where} (${entry.clientId}): give keyFile or publicJwk`);
  return { clientId: entry.clientId, publicJwk, claims: entry.claims as unknown as OidcTokenClaims };
}

function account(entry: unknown, index: number): OidcAccount {
  if (!isObject(entry) || typeof entry['accountId'] !== 'string' || !isObject(entry['claims']))
    throw new Error(`accounts[${index}]: needs an accountId string and a claims object`);
  return { accountId: entry['accountId'], claims: entry['claims'] as unknown as OidcTokenClaims };
}

async function main(): Promise<void> {
  // oidc-provider prints its notices with console.info; stdout carries only the lines above.
  console.info = (...args: unknown[]) => console.error(...args);
  const { values, positionals } = parseArgs({
    options: { port: { type: 'string' }, 'poll-interval': { type: 'string' } },
    allowPositionals: true,
  });
  const [file] = positionals;
  if (file === undefined || positionals.length !== 1) throw new Error(USAGE);
  const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
  if (!isObject(parsed)) throw new Error(`${file} must hold a JSON object\n${USAGE}`);
  const config = parsed as ProviderConfig;
  const base = dirname(resolve(file));
  const clients = await Promise.all((config.clients ?? []).map((entry, i) => machineClient(entry, base, i)));

  const provider = await startOidcProvider({
    clients,
    accounts: (config.accounts ?? []).map(account),
    audiences: config.audiences,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    port: values.port === undefined ? undefined : Number(values.port),
    devicePollIntervalSeconds:
      values['poll-interval'] === undefined ? undefined : Number(values['poll-interval']),
  });
  process.stdout.write(`CANCUOC_OIDC_ISSUER=${provider.issuer}\n`);

  const printKeys = () => process.stdout.write(`CANCUOC_OIDC_KEYS=${provider.publishedKeyIds.join(',')}\n`);
  const fail = (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  };
  process.on('SIGUSR1', () => void provider.rotateKeys().then(printKeys, fail));
  process.on('SIGUSR2', () => void provider.retireOldKeys().then(printKeys, fail));
  const shutDown = (): void => {
    process.removeAllListeners('SIGUSR1');
    process.removeAllListeners('SIGUSR2');
    provider.stop().catch(fail);
  };
  process.once('SIGTERM', shutDown);
  process.once('SIGINT', shutDown);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
