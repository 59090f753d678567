/**
 * Server mode's trust for the benchmarks, which run the services' executables on PostgreSQL (server
 * mode): a test OpenID Connect provider in this process (libs/testing) with a client and key per
 * party, and a development CA issuing each party's certificate, so every bench connection is mutual
 * TLS with a token from the provider — what a deployment pays per call. The benchmarks' people
 * (a clerk, administrators) are test-only clients with a person's claims: a benchmark signs no one in.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientCredentials, identities, type Identity, type TokenSource } from '@cancuoc/auth';
import { channelCredentialsFor, DevelopmentCa, type TlsFiles } from '@cancuoc/grpc';
import { startOidcProvider, type OidcProvider } from '@cancuoc/testing';

/** What a party needs to call a service: its token per audience and its channel's credentials. */
export interface BenchCaller {
  readonly tokens: TokenSource;
  /** `metadata` for `createClient`: this party's bearer token for `audience`. */
  metadata(audience: string): () => Promise<{ authorization: string }>;
  readonly credentials: ReturnType<typeof channelCredentialsFor>;
}

/** A party's own key file (`CANCUOC_CLIENT_KEY_FILE`) and certificate files (`CANCUOC_TLS_*`). */
export interface PartyFiles {
  readonly clientId: string;
  readonly keyFile: string;
  readonly tls: TlsFiles;
}

const fileName = (subject: string) => subject.replace(/[^A-Za-z0-9._-]/g, '-');

interface Party extends PartyFiles {
  readonly privateKey: Awaited<ReturnType<OidcProvider['machineCredentials']>>['privateKey'];
}

export class BenchTrust {
  private readonly parties = new Map<string, Promise<Party>>();

  private constructor(
    private readonly dir: string,
    private readonly provider: OidcProvider,
    private readonly ca: DevelopmentCa,
  ) {}

  /** Starts the provider and a CA in a temporary folder; `stop()` ends the provider and removes the folder. */
  static async start(): Promise<BenchTrust> {
    const dir = await mkdtemp(join(tmpdir(), 'cancuoc-bench-trust-'));
    const provider = await startOidcProvider({ accessTokenTtlSeconds: 3_600 });
    return new BenchTrust(dir, provider, await DevelopmentCa.open(join(dir, 'ca')));
  }

  /** `CANCUOC_OIDC_ISSUER` of every service and caller. */
  get issuer(): string {
    return this.provider.issuer;
  }

  /** Registers `identity` at the provider with a key of its own and issues its certificate (once). */
  files(identity: Identity): Promise<PartyFiles> {
    return this.party(identity);
  }

  private party(identity: Identity): Promise<Party> {
    let files = this.parties.get(identity.subject);
    if (!files) {
      files = this.register(identity);
      this.parties.set(identity.subject, files);
    }
    return files;
  }

  private async register(identity: Identity): Promise<Party> {
    const { subject, ...claims } = identity;
    const credentials = await this.provider.machineCredentials(subject, claims);
    await mkdir(join(this.dir, 'clients'), { recursive: true, mode: 0o700 });
    const keyFile = join(this.dir, 'clients', `${fileName(subject)}.pem`);
    await writeFile(keyFile, credentials.privateKeyPem, { mode: 0o600 });
    const serves = identity.kind === 'service';
    const tls = await this.ca.writeIdentity(join(this.dir, 'tls', fileName(subject)), subject, {
      ...(serves && { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] }),
    });
    return { clientId: subject, keyFile, tls, privateKey: credentials.privateKey };
  }

  /** The environment a service's executable needs in server mode: its client, key and certificate. */
  async serviceEnv(service: string): Promise<Record<string, string>> {
    const { clientId, keyFile, tls } = await this.files(identities.service(service));
    return {
      CANCUOC_OIDC_ISSUER: this.issuer,
      CANCUOC_CLIENT_ID: clientId,
      CANCUOC_CLIENT_KEY_FILE: keyFile,
      CANCUOC_TLS_CERT_FILE: tls.certFile,
      CANCUOC_TLS_KEY_FILE: tls.keyFile,
      CANCUOC_TLS_CA_FILE: tls.caFile,
    };
  }

  /** A caller acting as `identity`: client credentials at the provider and its own certificate. */
  async caller(identity: Identity): Promise<BenchCaller> {
    const { clientId, tls, privateKey } = await this.party(identity);
    const tokens = clientCredentials({ issuer: this.issuer, clientId, privateKey });
    return {
      tokens,
      metadata: (audience) => async () => ({ authorization: `Bearer ${await tokens.token(audience)}` }),
      credentials: channelCredentialsFor(tls),
    };
  }

  async stop(): Promise<void> {
    await this.provider.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** The benchmarks' clerk: national, so that any citizen is within their jurisdiction. */
export const BENCH_CLERK: Identity = identities.clerk('bench', '01', { national: true });
