/**
 * The trust of a server-mode platform as a deployment sets it up, for the end-to-end test: a CA
 * issuing every party's certificate (in Kubernetes, cert-manager), and an OpenID Connect provider
 * (libs/testing's, run as its own process by its CLI) with a client per service, station and agency,
 * each with its own private key, and an account per person. People sign in as they would, with
 * `cancuoc login` (the device flow, approved here as a person in a browser would).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clientCredentials, readPrivateKey, type Identity, type TokenSource } from '@cancuoc/auth';
import { DevelopmentCa, type TlsFiles } from '@cancuoc/grpc';
import { sessionTokens, type Credentials } from '@cancuoc/operations';
import { SERVICES, type ServiceName } from '@cancuoc/platform';
import { approveDevice } from '@cancuoc/testing';
import { spawnCancuoc } from '@cancuoc/testing';

const PROVIDER_CLI = fileURLToPath(
  new URL('../../../../libs/testing/dist/oidc-provider-cli.js', import.meta.url),
);

const fileName = (subject: string) => subject.replace(/[^A-Za-z0-9._-]/g, '-');

/** What a subject's token carries at the provider: the claims of its identity. */
const claimsOf = ({ subject: _subject, ...claims }: Identity) => claims;

/** The identity of a service's own client: `service:<name>`. */
const serviceIdentity = (name: ServiceName): Identity => ({
  subject: `service:${name}`,
  kind: 'service',
  roles: ['service'],
  service: name,
});

export interface ServerTrust {
  readonly issuer: string;
  /** The environment of a service process: its client at the provider and its certificate. */
  serviceEnv(service: ServiceName): Record<string, string>;
  /** The mutual-TLS files of a person's terminal (any certificate of the CA: a person's is not matched). */
  readonly peopleTls: TlsFiles;
  /** `CANCUOC_TLS_*` of a person's terminal. */
  readonly peopleTlsEnv: Record<string, string>;
  /** The session file `cancuoc login` wrote for a person. */
  sessionFile(person: Identity): string;
  /** The CLI's credentials as the platform's callers hold them: each with their own token and certificate. */
  readonly credentials: Credentials;
  /** Signs `people` in with `cancuoc login`, a few at a time. */
  signIn(people: readonly Identity[]): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the provider's CLI on `configFile`; resolves with its issuer once it says it is ready. */
function startProvider(configFile: string): Promise<{ child: ChildProcess; issuer: string }> {
  const child = spawn(process.execPath, [PROVIDER_CLI, '--poll-interval', '1', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH },
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the OpenID provider did not start: ${stderr}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const issuer = /^CANCUOC_OIDC_ISSUER=(\S+)$/m.exec(out)?.[1];
      if (issuer) {
        clearTimeout(timer);
        resolve({ child, issuer });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the OpenID provider exited with ${code}: ${stderr}`));
    });
  });
}

/**
 * Sets up the CA and the provider in `folder` for the four services, the `machines` (stations,
 * agencies: clients with their own key and certificate) and the `people` (accounts).
 */
export async function startServerTrust(
  folder: string,
  parties: { readonly people: readonly Identity[]; readonly machines: readonly Identity[] },
): Promise<ServerTrust> {
  const ca = await DevelopmentCa.open(join(folder, 'ca'));
  const tls = new Map<string, TlsFiles>();
  const keyFile = (subject: string) => join(folder, 'clients', `${fileName(subject)}.pem`);
  const machines = [...SERVICES.map(serviceIdentity), ...parties.machines];
  for (const machine of machines) {
    // A service serves too: its certificate names the addresses clients dial.
    const serves = machine.kind === 'service';
    tls.set(
      machine.subject,
      await ca.writeIdentity(join(folder, 'tls', fileName(machine.subject)), machine.subject, {
        ...(serves && { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] }),
      }),
    );
  }
  const peopleTls = await ca.writeIdentity(join(folder, 'tls', 'people'), 'terminal:e2e-people');

  const configFile = join(folder, 'oidc-provider.json');
  await writeFile(
    configFile,
    JSON.stringify(
      {
        clients: machines.map((machine) => ({
          clientId: machine.subject,
          keyFile: keyFile(machine.subject),
          claims: claimsOf(machine),
        })),
        accounts: parties.people.map((person) => ({ accountId: person.subject, claims: claimsOf(person) })),
      },
      null,
      2,
    ),
  );
  const provider = await startProvider(configFile);
  const { issuer } = provider;

  const tlsEnv = (files: TlsFiles) => ({
    CANCUOC_TLS_CERT_FILE: files.certFile,
    CANCUOC_TLS_KEY_FILE: files.keyFile,
    CANCUOC_TLS_CA_FILE: files.caFile,
  });
  const sessions = join(folder, 'sessions');
  await mkdir(sessions, { recursive: true, mode: 0o700 });
  const sessionFile = (person: Identity) => join(sessions, `${fileName(person.subject)}.json`);

  const sources = new Map<string, TokenSource>();
  const machineTokens = (subject: string): TokenSource => {
    const source = readPrivateKey(keyFile(subject)).then((privateKey) =>
      clientCredentials({ issuer, clientId: subject, privateKey }),
    );
    return { token: async (audience) => (await source).token(audience) };
  };
  const credentials: Credentials = {
    source: `the OpenID provider ${issuer}`,
    tls: peopleTls,
    perIdentity: true,
    as(identity) {
      const person = identity.kind === 'person';
      let tokens = sources.get(identity.subject);
      if (!tokens) {
        tokens = person ? sessionTokens(sessionFile(identity), issuer) : machineTokens(identity.subject);
        sources.set(identity.subject, tokens);
      }
      const own = person ? peopleTls : tls.get(identity.subject);
      if (!own) throw new Error(`${identity.subject} has no certificate: not one of the parties`);
      return { tokens, tls: own };
    },
  };

  const signInOne = async (person: Identity) => {
    const login = spawnCancuoc(['login'], {
      CANCUOC_OIDC_ISSUER: issuer,
      CANCUOC_SESSION_FILE: sessionFile(person),
      CANCUOC_TOKEN: '',
    });
    await login.until('stderr', /enter the code [A-Z]{4}-[A-Z]{4}/, 30_000);
    const code = /enter the code ([A-Z]{4}-[A-Z]{4})/.exec(login.stderr())![1]!;
    // The person, in a browser: the verification page, the code, their account.
    await approveDevice(issuer, code, person.subject);
    const run = await login.exit;
    if (run.code !== 0)
      throw new Error(`cancuoc login as ${person.subject} exited ${run.code}: ${run.stderr}`);
  };

  return {
    issuer,
    serviceEnv: (service) => ({
      CANCUOC_OIDC_ISSUER: issuer,
      CANCUOC_CLIENT_ID: `service:${service}`,
      CANCUOC_CLIENT_KEY_FILE: keyFile(`service:${service}`),
      ...tlsEnv(tls.get(`service:${service}`)!),
    }),
    peopleTls,
    peopleTlsEnv: tlsEnv(peopleTls),
    sessionFile,
    credentials,
    async signIn(people) {
      const queue = [...people];
      await Promise.all(
        Array.from({ length: 6 }, async () => {
          for (let person = queue.shift(); person; person = queue.shift()) await signInOne(person);
        }),
      );
    },
    async stop() {
      const { child } = provider;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
