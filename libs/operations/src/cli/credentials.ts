import { existsSync } from 'node:fs';
import {
  clientCredentials,
  DevelopmentIssuer,
  developmentIssuerFile,
  developmentTokens,
  readPrivateKey,
  type Identity,
  type TokenSource,
} from '@cancuoc/auth';
import { TlsConfigError, tlsFilesFromEnv, type TlsFiles } from '@cancuoc/grpc';
import { CliError, EXIT } from './command.js';
import { sessionTokens, sessionFile } from './session.js';

/** How one caller reaches a service: its bearer tokens and the TLS identity of its channel. */
export interface Caller {
  readonly tokens: TokenSource;
  /** Mutual-TLS files of the channel; undefined: plaintext (the embedded platform on loopback). */
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
 * Channels use mutual TLS when `CANCUOC_TLS_CERT_FILE`, `_KEY_FILE` and `_CA_FILE` are set.
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
}

export interface CredentialOptions {
  /** `--data-dir`: the embedded platform's folder. */
  readonly dataDir?: string | undefined;
}

/** Server mode for the CLI: the services take their tokens from an OpenID provider. */
export const isServerMode = (env: NodeJS.ProcessEnv) => Boolean(env.CANCUOC_OIDC_ISSUER);

function tlsOf(env: NodeJS.ProcessEnv): TlsFiles | undefined {
  try {
    return tlsFilesFromEnv(env);
  } catch (error) {
    if (error instanceof TlsConfigError) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
}

/** One caller for every identity: a session, a client key or a ready token. */
function single(source: string, tokens: TokenSource, tls: TlsFiles | undefined): Credentials {
  return { source, tls, perIdentity: false, as: () => ({ tokens, tls }) };
}

/** Credentials minting every identity's tokens from a development issuer (the embedded platform). */
export function developmentCredentials(
  issuer: DevelopmentIssuer | Promise<DevelopmentIssuer>,
  options: { readonly tls?: TlsFiles | undefined; readonly source?: string } = {},
): Credentials {
  const opened = Promise.resolve(issuer);
  // A failure to open surfaces on the first call, as the command's one line.
  opened.catch(() => undefined);
  const sources = new Map<string, TokenSource>();
  return {
    source: options.source ?? 'the development issuer',
    tls: options.tls,
    perIdentity: true,
    as(identity) {
      const key = JSON.stringify(identity);
      let tokens = sources.get(key);
      if (!tokens) {
        const minted = opened.then((i) => developmentTokens(i, identity));
        tokens = { token: async (audience) => (await minted).token(audience) };
        sources.set(key, tokens);
      }
      return { tokens, tls: options.tls };
    },
  };
}

/** The development issuer's key file of an embedded platform's folder: it must exist already. */
export function existingIssuerFile(options: CredentialOptions, env: NodeJS.ProcessEnv): string {
  const file = developmentIssuerFile(options.dataDir ?? env.CANCUOC_DATA_DIR ?? '.data');
  if (!existsSync(file))
    throw new CliError(
      `no development issuer at ${file}: is the embedded platform started there (npm start)? ` +
        'Else name its folder with --data-dir or CANCUOC_DATA_DIR; in server mode set CANCUOC_OIDC_ISSUER and run cancuoc login',
    );
  return file;
}

/** A ready token from `CANCUOC_TOKEN`, for whichever service it was made for. */
function readyToken(token: string): TokenSource {
  return { token: async () => token };
}

/** The credentials of a `cancuoc` command, from its flags and environment (see {@link Credentials}). */
export function cliCredentials(options: CredentialOptions, env: NodeJS.ProcessEnv): Credentials {
  const tls = tlsOf(env);
  const ready = env.CANCUOC_TOKEN?.trim();
  if (ready) return single('CANCUOC_TOKEN', readyToken(ready), tls);
  const issuer = env.CANCUOC_OIDC_ISSUER;
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
      return single(`client ${clientId} at ${issuer}`, { token: async (a) => (await source).token(a) }, tls);
    }
    return single(`your session at ${issuer} (cancuoc login)`, sessionTokens(sessionFile(env), issuer), tls);
  }
  const file = existingIssuerFile(options, env);
  return developmentCredentials(DevelopmentIssuer.open(file), {
    tls,
    source: `the development issuer ${file}`,
  });
}
