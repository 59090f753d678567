import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  clientCredentials,
  DevelopmentIssuer,
  developmentIssuerFile,
  developmentTokens,
  readPrivateKey,
  type Identity,
  type TokenSource,
} from '@cancuoc/auth';
import {
  CA_CERT_FILE,
  CA_KEY_FILE,
  DevelopmentCa,
  TlsConfigError,
  tlsFilesFromEnv,
  type TlsFiles,
} from '@cancuoc/grpc';
import { CliError, EXIT } from './command.js';
import { sessionTokens, sessionFile } from './session.js';

/** How one caller reaches a service: its bearer tokens and the TLS identity of its channel. */
export interface Caller {
  readonly tokens: TokenSource;
  /**
   * Mutual-TLS files of the channel; undefined: plaintext (the embedded platform on loopback). With
   * an embedded platform's development CA, read it only after {@link Credentials.ready} made them.
   */
  readonly tls: TlsFiles | undefined;
}

/**
 * Where every `cancuoc` command gets its tokens (one implementation for the platform's commands and
 * the operators'):
 * - `CANCUOC_TOKEN`: a token made elsewhere, used as it is;
 * - server mode (`CANCUOC_OIDC_ISSUER` set): the OpenID provider — with `CANCUOC_CLIENT_KEY_FILE`
 *   (and `CANCUOC_CLIENT_ID`) a machine's own client credentials (an encoding station, an agency),
 *   else the session `cancuoc login` saved (its refresh token, exchanged for a token per service);
 * - embedded: the development issuer's key file in the platform's data folder (`--data-dir`, else
 *   `CANCUOC_DATA_DIR`, else `.data`), which mints a token for whoever the command acts as.
 * Channels use mutual TLS when `CANCUOC_TLS_CERT_FILE`, `_KEY_FILE` and `_CA_FILE` are set. Else,
 * outside server mode, when the data folder holds the platform's development CA (`DIR/ca`, made by
 * `cancuoc start --tls`), each caller gets a certificate of its own from it (see
 * {@link DevelopmentTls}); otherwise they are plaintext.
 */
export interface Credentials {
  /** Where the tokens come from, for messages. */
  readonly source: string;
  /**
   * Whether {@link as} gives each identity its own token (the development issuer, or a test's
   * provider with a client per party); false when every identity is the one signed-in caller.
   */
  readonly perIdentity: boolean;
  /** The TLS identity of channels that act as nobody in particular (health checks). */
  readonly tls: TlsFiles | undefined;
  /**
   * The caller acting as `identity`. The development issuer mints tokens for it; every other source
   * is one caller whatever `identity` says — the provider decides who they are and what they hold.
   */
  as(identity: Identity): Caller;
  /**
   * Makes the certificates of `identities`, and of {@link tls}, before a channel uses them: with an
   * embedded platform's development CA, each station's and agency's its own and every person's this
   * workstation's. Absent, or a no-op, where the certificate files exist already (or there are none).
   * Fails with a {@link CliError}.
   */
  ready?(identities?: readonly Identity[]): Promise<void>;
}

export interface CredentialOptions {
  /** `--data-dir`: the embedded platform's folder. */
  readonly dataDir?: string | undefined;
}

/** Server mode for the CLI: the services take their tokens from an OpenID provider. */
export const isServerMode = (env: NodeJS.ProcessEnv) => Boolean(env.CANCUOC_OIDC_ISSUER);

/** The embedded platform's data folder: `--data-dir`, else `CANCUOC_DATA_DIR`, else `.data`. */
const dataDirOf = (options: CredentialOptions, env: NodeJS.ProcessEnv) =>
  options.dataDir ?? env.CANCUOC_DATA_DIR ?? '.data';

/** The development CA of an embedded platform on mutual TLS: `<data dir>/ca` (`ca.crt`, `ca.key`). */
export const developmentCaDir = (dataDir: string) => join(dataDir, 'ca');

/**
 * Where the embedded platform's certificates are: `<data dir>/tls/<service>/` for the services,
 * `<data dir>/tls/clients/<subject>/` for the callers the `cancuoc` commands act as.
 */
export const developmentTlsDir = (dataDir: string) => join(dataDir, 'tls');

/**
 * Whether the embedded platform in `dataDir` runs on mutual TLS: its development CA is there. A
 * folder that has one keeps it — the platform starts on mutual TLS there from then on.
 */
export function hasDevelopmentCa(dataDir: string): boolean {
  const dir = developmentCaDir(dataDir);
  return existsSync(join(dir, CA_KEY_FILE)) || existsSync(join(dir, CA_CERT_FILE));
}

/** The folder of a subject's certificate: `station:hn-01` → `station-hn-01`. */
const folderName = (subject: string) => subject.replace(/[^A-Za-z0-9._-]/g, '-');

/** This machine as the subject of a person's certificate: `workstation:<host name>`. */
export function workstationSubject(name = hostname()): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return `workstation:${cleaned || 'localhost'}`;
}

/**
 * The certificates a `cancuoc` command issues itself from an embedded platform's development CA
 * (architecture decision 9): the guard matches a station's or an agency's certificate against its
 * token's subject, so each has its own (`station:<id>`, `agency:<code>`); a person's may be any of
 * the CA's, and every person the command acts as presents this workstation's.
 */
export interface DevelopmentTls {
  /** The platform's development CA. */
  readonly ca: DevelopmentCa | Promise<DevelopmentCa>;
  /**
   * Where each certificate is kept, a folder per subject with `tls.crt`, `tls.key` and `ca.crt`
   * (`<data dir>/tls/clients`): made once, used again while the CA and its validity last.
   */
  readonly dir: string;
  /** The subject of the people's certificate; default {@link workstationSubject}. */
  readonly workstation?: string;
}

/** The files of one certificate folder. */
const filesIn = (dir: string): TlsFiles => ({
  certFile: join(dir, 'tls.crt'),
  keyFile: join(dir, 'tls.key'),
  caFile: join(dir, 'ca.crt'),
});

/** A certificate kept from an earlier command is used again for a day or more; else a new one. */
const RENEW_BEFORE_MS = 86_400_000;

/** Whether `files` hold `subject`'s certificate from `ca`, with its key, valid for a day more. */
async function usable(files: TlsFiles, ca: DevelopmentCa, subject: string): Promise<boolean> {
  try {
    const [caPem, certPem, keyPem] = await Promise.all(
      [files.caFile, files.certFile, files.keyFile].map((file) => readFile(file, 'utf8')),
    );
    if (caPem!.trim() !== ca.certificatePem.trim()) return false;
    const certificate = new X509Certificate(certPem!);
    return (
      certificate.verify(new X509Certificate(ca.certificatePem).publicKey) &&
      certificate.checkPrivateKey(createPrivateKey(keyPem!)) &&
      (certificate.subjectAltName ?? '').split(', ').includes(`URI:cancuoc:${subject}`) &&
      new Date(certificate.validTo).getTime() > Date.now() + RENEW_BEFORE_MS
    );
  } catch {
    return false;
  }
}

const temporaryName = (path: string, suffix: string) =>
  `${path}.${process.pid}.${randomBytes(4).toString('hex')}.${suffix}`;

/**
 * `subject`'s certificate in `<dir>/<subject>/`: the one there if still good, else a new one. A new
 * one is written whole in a folder of its own and then renamed into place, so two commands making
 * the same certificate at once end with one of them, and no command reads half of one.
 */
async function issuedFiles(ca: DevelopmentCa, dir: string, subject: string): Promise<TlsFiles> {
  const home = join(dir, folderName(subject));
  const files = filesIn(home);
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await usable(files, ca, subject)) return files;
    if (existsSync(home)) {
      // Another CA's (the platform's folder was reset) or near its end: aside, then gone.
      const old = temporaryName(home, 'old');
      try {
        await rename(home, old);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      await rm(old, { recursive: true, force: true });
    }
    const fresh = temporaryName(home, 'tmp');
    try {
      await ca.writeIdentity(fresh, subject);
      await rename(fresh, home);
      return files;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Another command put one there first: the next round uses it.
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    } finally {
      await rm(fresh, { recursive: true, force: true });
    }
  }
  throw new Error(`${home} kept changing under this command`);
}

/** The TLS identity of each caller's channel. */
interface Channels {
  /** The files of the channel acting as `identity` (undefined: as nobody in particular). */
  of(identity: Identity | undefined): TlsFiles | undefined;
  ready?(identities: readonly Identity[]): Promise<void>;
}

/** One certificate (`CANCUOC_TLS_*`) for every caller, or none: plaintext. */
const fixed = (tls: TlsFiles | undefined): Channels => ({ of: () => tls });

/** A certificate per station and agency, and this workstation's for people, from `tls.ca`. */
function issuing(tls: DevelopmentTls, perIdentity: boolean): Channels {
  const opened = Promise.resolve(tls.ca);
  // A CA that cannot be opened surfaces on ready(), as the command's one line.
  opened.catch(() => undefined);
  const workstation = tls.workstation ?? workstationSubject();
  const subjectOf = (identity: Identity | undefined) =>
    !perIdentity || !identity || identity.kind === 'person' ? workstation : identity.subject;
  const making = new Map<string, Promise<TlsFiles>>();
  const made = new Set<string>();
  return {
    of(identity) {
      const subject = subjectOf(identity);
      if (!made.has(subject))
        throw new Error(`the certificate of ${subject} is not made yet: await credentials.ready() first`);
      return filesIn(join(tls.dir, folderName(subject)));
    },
    async ready(identities) {
      const subjects = [...new Set([workstation, ...identities.map(subjectOf)])];
      try {
        await Promise.all(
          subjects.map((subject) => {
            let files = making.get(subject);
            if (!files) {
              files = opened.then((ca) => issuedFiles(ca, tls.dir, subject));
              making.set(subject, files);
              files.catch(() => making.delete(subject));
            }
            return files;
          }),
        );
      } catch (error) {
        throw new CliError(
          `cannot make a certificate from the development CA: ${(error as Error).message.split('\n')[0]}`,
        );
      }
      for (const subject of subjects) made.add(subject);
    },
  };
}

/** The credentials' TLS, from their channels: `tls` and `as(…).tls` read when used. */
function withChannels(
  source: string,
  perIdentity: boolean,
  channels: Channels,
  tokensOf: (identity: Identity) => TokenSource,
): Credentials {
  return {
    source,
    perIdentity,
    get tls() {
      return channels.of(undefined);
    },
    as(identity) {
      const tokens = tokensOf(identity);
      return {
        tokens,
        get tls() {
          return channels.of(identity);
        },
      };
    },
    ready: async (identities = []) => channels.ready?.(identities),
  };
}

function tlsOf(env: NodeJS.ProcessEnv): TlsFiles | undefined {
  try {
    return tlsFilesFromEnv(env);
  } catch (error) {
    if (error instanceof TlsConfigError) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
}

/** One caller for every identity: a session, a client key or a ready token. */
function single(source: string, tokens: TokenSource, channels: Channels): Credentials {
  return withChannels(source, false, channels, () => tokens);
}

/**
 * Credentials minting every identity's tokens from a development issuer (the embedded platform):
 * over plaintext, over one certificate (`tls`), or over a certificate per caller from the
 * platform's development CA (`ca`).
 */
export function developmentCredentials(
  issuer: DevelopmentIssuer | Promise<DevelopmentIssuer>,
  options: {
    readonly tls?: TlsFiles | undefined;
    readonly ca?: DevelopmentTls | undefined;
    readonly source?: string;
  } = {},
): Credentials {
  const opened = Promise.resolve(issuer);
  // A failure to open surfaces on the first call, as the command's one line.
  opened.catch(() => undefined);
  const sources = new Map<string, TokenSource>();
  return withChannels(
    options.source ?? 'the development issuer',
    true,
    options.ca ? issuing(options.ca, true) : fixed(options.tls),
    (identity) => {
      const key = JSON.stringify(identity);
      let tokens = sources.get(key);
      if (!tokens) {
        const minted = opened.then((i) => developmentTokens(i, identity));
        tokens = { token: async (audience) => (await minted).token(audience) };
        sources.set(key, tokens);
      }
      return tokens;
    },
  );
}

/** The development issuer's key file of an embedded platform's folder: it must exist already. */
export function existingIssuerFile(options: CredentialOptions, env: NodeJS.ProcessEnv): string {
  const file = developmentIssuerFile(dataDirOf(options, env));
  if (!existsSync(file))
    throw new CliError(
      `no development issuer at ${file}: is the embedded platform started there (npm start)? ` +
        'Else name its folder with --data-dir or CANCUOC_DATA_DIR; in server mode set CANCUOC_OIDC_ISSUER and run cancuoc login',
    );
  return file;
}

/**
 * The embedded platform's development CA in the data folder, for the command's own certificates;
 * undefined when there is none (the platform is on plaintext). Only opened, never made here.
 */
function embeddedCa(options: CredentialOptions, env: NodeJS.ProcessEnv): DevelopmentTls | undefined {
  const dataDir = dataDirOf(options, env);
  if (!hasDevelopmentCa(dataDir)) return undefined;
  const dir = developmentCaDir(dataDir);
  if (!existsSync(join(dir, CA_KEY_FILE)) || !existsSync(join(dir, CA_CERT_FILE)))
    throw new CliError(
      `${dir} holds half a development CA (${CA_CERT_FILE} and ${CA_KEY_FILE} go together): start the platform there again`,
    );
  return { ca: DevelopmentCa.open(dir), dir: join(developmentTlsDir(dataDir), 'clients') };
}

/** A ready token from `CANCUOC_TOKEN`, for whichever service it was made for. */
function readyToken(token: string): TokenSource {
  return { token: async () => token };
}

/** The credentials of a `cancuoc` command, from its flags and environment (see {@link Credentials}). */
export function cliCredentials(options: CredentialOptions, env: NodeJS.ProcessEnv): Credentials {
  const tls = tlsOf(env);
  const issuer = env.CANCUOC_OIDC_ISSUER;
  const ready = env.CANCUOC_TOKEN?.trim();
  if (ready) {
    // Outside server mode, without CANCUOC_TLS_*: this workstation's certificate when the
    // embedded platform runs on its development CA (a person's token passes with it).
    const ca = tls || issuer ? undefined : embeddedCa(options, env);
    return single('CANCUOC_TOKEN', readyToken(ready), ca ? issuing(ca, false) : fixed(tls));
  }
  if (issuer) {
    if (!/^https?:\/\//.test(issuer))
      throw new CliError('CANCUOC_OIDC_ISSUER must be an http(s) URL', EXIT.usage);
    const keyFile = env.CANCUOC_CLIENT_KEY_FILE;
    if (keyFile) {
      const clientId = env.CANCUOC_CLIENT_ID;
      if (!clientId)
        throw new CliError(
          'CANCUOC_CLIENT_ID names the client whose key CANCUOC_CLIENT_KEY_FILE holds',
          EXIT.usage,
        );
      const source = readPrivateKey(keyFile).then(
        (privateKey) => clientCredentials({ issuer, clientId, privateKey }),
        () => {
          throw new CliError(
            `cannot read the client key ${keyFile} (CANCUOC_CLIENT_KEY_FILE: an ES256 private key)`,
          );
        },
      );
      source.catch(() => undefined);
      return single(
        `client ${clientId} at ${issuer}`,
        { token: async (a) => (await source).token(a) },
        fixed(tls),
      );
    }
    return single(
      `your session at ${issuer} (cancuoc login)`,
      sessionTokens(sessionFile(env), issuer),
      fixed(tls),
    );
  }
  const file = existingIssuerFile(options, env);
  const ca = tls ? undefined : embeddedCa(options, env);
  return developmentCredentials(DevelopmentIssuer.open(file), {
    tls,
    ca,
    source: `the development issuer ${file}`,
  });
}
