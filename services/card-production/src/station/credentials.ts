import { access } from 'node:fs/promises';
import {
  clientCredentials,
  DevelopmentIssuer,
  developmentIssuerFile,
  developmentTokens,
  identities,
  readPrivateKey,
  type TokenSource,
} from '@cancuoc/auth';

/** The station cannot get a credential as configured (exit 3 in the simulator: refused). */
export class StationCredentialsError extends Error {
  override readonly name = 'StationCredentialsError';
}

/** The station ids a token can name (`station:<id>`). */
export const STATION_ID = /^[A-Za-z0-9._-]{1,60}$/;

/** A token given as it is (`--token`): one station, until the token expires. */
export function givenToken(token: string): TokenSource {
  return { token: async () => token };
}

export interface StationCredentialOptions {
  readonly stationId: string;
  /** `CANCUOC_OIDC_ISSUER`, `CANCUOC_CLIENT_ID`, `CANCUOC_CLIENT_KEY_FILE`. */
  readonly env: NodeJS.ProcessEnv;
  /** The embedded platform's folder, holding the development issuer (`issuer.json`). */
  readonly dataDir: string;
}

/** Whether the station gets its tokens from an OpenID provider (server mode) rather than the development issuer. */
export const serverMode = (env: NodeJS.ProcessEnv) => Boolean(env.CANCUOC_OIDC_ISSUER);

/**
 * An encoding station's own credential — a party of its own, never card production's: in server
 * mode OAuth client credentials at the OpenID provider (`CANCUOC_OIDC_ISSUER`) as client
 * `CANCUOC_CLIENT_ID` (default `station:<id>`) with its private key (`CANCUOC_CLIENT_KEY_FILE`,
 * `private_key_jwt`); on the embedded platform tokens from the development issuer in the data folder,
 * as `identities.encodingStation(id)` — which needs the platform to have made that issuer first.
 */
export async function stationTokens(options: StationCredentialOptions): Promise<TokenSource> {
  const { env, stationId } = options;
  if (env.CANCUOC_AUTH_SECRET)
    throw new StationCredentialsError(
      'CANCUOC_AUTH_SECRET is no longer used: a station has its own credential (CANCUOC_OIDC_ISSUER and CANCUOC_CLIENT_KEY_FILE, or the embedded platform’s issuer) — remove it',
    );
  const issuer = env.CANCUOC_OIDC_ISSUER;
  if (issuer) {
    if (!/^https?:\/\//.test(issuer))
      throw new StationCredentialsError('CANCUOC_OIDC_ISSUER must be an http(s) URL');
    const keyFile = env.CANCUOC_CLIENT_KEY_FILE;
    if (!keyFile)
      throw new StationCredentialsError(
        "CANCUOC_CLIENT_KEY_FILE is required with CANCUOC_OIDC_ISSUER (the station's own key)",
      );
    let privateKey;
    try {
      privateKey = await readPrivateKey(keyFile);
    } catch (error) {
      throw new StationCredentialsError(
        `CANCUOC_CLIENT_KEY_FILE ${keyFile} is not a readable ES256 private key (${(error as Error).message})`,
      );
    }
    return clientCredentials({
      issuer,
      clientId: env.CANCUOC_CLIENT_ID || `station:${stationId}`,
      privateKey,
    });
  }
  const file = developmentIssuerFile(options.dataDir);
  try {
    await access(file);
  } catch {
    throw new StationCredentialsError(
      `no development issuer at ${file}: start the embedded platform first (or give --data-dir), or set CANCUOC_OIDC_ISSUER`,
    );
  }
  return developmentTokens(await DevelopmentIssuer.open(file), identities.encodingStation(stationId));
}
