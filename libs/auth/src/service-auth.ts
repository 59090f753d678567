import { join } from 'node:path';
import type { Authenticator } from '@cancuoc/grpc';
import { DevelopmentIssuer } from './development-issuer.js';
import { guard, type Authorized } from './guard.js';
import { platformPolicy } from './policy/platform.js';
import type { Policy } from './policy/policy.js';
import { Refusals, type RefusalOptions } from './refusals.js';
import { clientCredentials, developmentTokens, readPrivateKey, type TokenSource } from './token-source.js';
import { issuerKeys, TokenVerifier } from './verifier.js';

/** How a service learns who calls it and proves who it is when it calls another. */
export type AuthConfig =
  | {
      readonly mode: 'server';
      /** `CANCUOC_OIDC_ISSUER`: the OpenID Connect provider every token comes from. */
      readonly issuer: string;
      /** `CANCUOC_CLIENT_ID`: this service's client at the provider (default `service:<name>`). */
      readonly clientId: string;
      /** `CANCUOC_CLIENT_KEY_FILE`: this service's own private key (`private_key_jwt`). */
      readonly clientKeyFile: string;
    }
  | {
      readonly mode: 'embedded';
      /** The development issuer's key file in the data directory. */
      readonly issuerFile: string;
    }
  | {
      /** A development issuer already open in this process (the embedded launcher, tests). */
      readonly mode: 'issuer';
      readonly issuer: DevelopmentIssuer;
    };

export class AuthConfigError extends Error {
  override readonly name = 'AuthConfigError';
}

/** The file of the embedded development issuer inside a data directory. */
export const developmentIssuerFile = (dataDir: string) => join(dataDir, 'issuer.json');

/**
 * Auth settings from the environment. With `DATABASE_URL` set (server mode) the OpenID provider and
 * the service's client credential are required — there is no shared secret to fall back on, and
 * the old `CANCUOC_AUTH_SECRET` is refused so that a forgotten one is noticed.
 */
export function authConfigFromEnv(
  env: NodeJS.ProcessEnv,
  service: string,
  options: { server: boolean; embeddedDataDir: string },
): AuthConfig {
  if (env.CANCUOC_AUTH_SECRET)
    throw new AuthConfigError(
      'CANCUOC_AUTH_SECRET is no longer used: tokens come from an OpenID provider (CANCUOC_OIDC_ISSUER) — remove it',
    );
  const issuer = env.CANCUOC_OIDC_ISSUER || undefined;
  if (!issuer) {
    if (options.server)
      throw new AuthConfigError(
        'CANCUOC_OIDC_ISSUER is required with DATABASE_URL (the OpenID provider of every token)',
      );
    return { mode: 'embedded', issuerFile: developmentIssuerFile(options.embeddedDataDir) };
  }
  if (!/^https?:\/\//.test(issuer)) throw new AuthConfigError('CANCUOC_OIDC_ISSUER must be an http(s) URL');
  const clientKeyFile = env.CANCUOC_CLIENT_KEY_FILE || undefined;
  if (!clientKeyFile)
    throw new AuthConfigError(
      "CANCUOC_CLIENT_KEY_FILE is required with CANCUOC_OIDC_ISSUER (this service's own key)",
    );
  return { mode: 'server', issuer, clientId: env.CANCUOC_CLIENT_ID || `service:${service}`, clientKeyFile };
}

/** A service's authentication and authorization, ready for `defineService` and outgoing calls. */
export interface ServiceAuth {
  readonly audience: string;
  readonly verifier: TokenVerifier;
  /** This service's own tokens, for the services it calls. */
  readonly tokens: TokenSource;
  readonly refusals: Refusals;
  /** The authentication hook of every service this process serves: token, certificate, policy. */
  readonly authenticate: Authenticator<Authorized>;
}

export interface ServiceAuthOptions extends RefusalOptions {
  /** Default {@link platformPolicy}. */
  readonly policy?: Policy;
}

function assemble(
  audience: string,
  verifier: TokenVerifier,
  tokens: TokenSource,
  options: ServiceAuthOptions,
): ServiceAuth {
  const refusals = new Refusals(options);
  return {
    audience,
    verifier,
    tokens,
    refusals,
    authenticate: guard({ verifier, policy: options.policy ?? platformPolicy, refusals }),
  };
}

/** The auth of service `audience` (`registry`, `enrollment`, `card-production`, `data-sharing`). */
export async function serviceAuth(
  config: AuthConfig,
  audience: string,
  options: ServiceAuthOptions = {},
): Promise<ServiceAuth> {
  if (config.mode === 'issuer') return embeddedServiceAuth(config.issuer, audience, options);
  if (config.mode === 'embedded') {
    const issuer = await DevelopmentIssuer.open(config.issuerFile);
    return embeddedServiceAuth(issuer, audience, options);
  }
  const verifier = new TokenVerifier({ issuer: config.issuer, audience, keys: issuerKeys(config.issuer) });
  let privateKey;
  try {
    privateKey = await readPrivateKey(config.clientKeyFile);
  } catch (error) {
    throw new AuthConfigError(
      `CANCUOC_CLIENT_KEY_FILE ${config.clientKeyFile} is not a readable ES256 private key (${(error as Error).message})`,
    );
  }
  const tokens = clientCredentials({ issuer: config.issuer, clientId: config.clientId, privateKey });
  return assemble(audience, verifier, tokens, options);
}

/** The auth of a service on the embedded platform: the development issuer, in process. */
export function embeddedServiceAuth(
  issuer: DevelopmentIssuer,
  audience: string,
  options: ServiceAuthOptions = {},
): ServiceAuth {
  const verifier = new TokenVerifier({ issuer: issuer.issuer, audience, keys: issuer.keys() });
  const tokens = developmentTokens(issuer, {
    subject: `service:${audience}`,
    kind: 'service',
    roles: ['service'],
    service: audience,
  });
  return assemble(audience, verifier, tokens, options);
}
