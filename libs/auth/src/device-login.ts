import { setTimeout as sleep } from 'node:timers/promises';
import { decodeJwt } from 'jose';
import { discover, type ProviderMetadata } from './discovery.js';
import { resourceOf } from './token-source.js';

/** The OpenID provider's public client of the `cancuoc` command line. */
export const CANCUOC_CLI_CLIENT_ID = 'cancuoc-cli';

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** RFC 8628 §3.2: the polling interval when the provider names none. */
const DEFAULT_INTERVAL_MS = 5_000;
/** RFC 8628 §3.5: `slow_down` adds 5 seconds to this and every later poll. */
const SLOW_DOWN_MS = 5_000;
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * A device login or a refresh that did not give a token. `code` is the OAuth error
 * (`access_denied`, `expired_token`, `invalid_grant`, …) or `unavailable` when the provider could
 * not be reached or answered nonsense.
 */
export class DeviceLoginError extends Error {
  override readonly name = 'DeviceLoginError';

  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface DeviceLoginOptions {
  /** The OpenID Connect provider's issuer URL (`CANCUOC_OIDC_ISSUER`). */
  readonly issuer: string;
  /** Default {@link CANCUOC_CLI_CLIENT_ID}. */
  readonly clientId?: string;
  /**
   * The services the sign-in is for (`registry`, `enrollment`, …), each asked for with a resource
   * indicator `urn:cancuoc:<audience>` (RFC 8707). The access token returned is for the first;
   * {@link DeviceLogin.refreshFor} gives tokens for the others.
   */
  readonly audience: string | readonly string[];
  /**
   * Tells the person where to go and which code to enter (RFC 8628 §3.3). Polling starts once it
   * has settled; a rejection ends the login.
   */
  prompt(
    verificationUri: string,
    userCode: string,
    verificationUriComplete: string | undefined,
  ): void | Promise<void>;
  /** Default `openid offline_access`: an ID token and a refresh token. */
  readonly scope?: string;
  /** The polling interval when the provider names none. Default 5 s (RFC 8628 §3.2). */
  readonly defaultIntervalMs?: number;
  /** Cancels the login (Ctrl-C). */
  readonly signal?: AbortSignal;
}

/** An access token for one service, and the refresh token to get more. */
export interface DeviceTokens {
  readonly audience: string;
  readonly accessToken: string;
  /** Absent when the provider issues none (no `offline_access`). */
  readonly refreshToken: string | undefined;
  readonly expiresAt: Date;
}

/** A person signed in on this device. */
export interface DeviceLogin extends DeviceTokens {
  /**
   * A token for another of the services the login was for, from the refresh token (which the
   * provider may rotate: the newest is used and kept). One refresh at a time.
   */
  refreshFor(audience: string): Promise<DeviceTokens>;
}

interface TokenResponse {
  readonly access_token?: unknown;
  readonly refresh_token?: unknown;
  readonly expires_in?: unknown;
  readonly error?: unknown;
  readonly error_description?: unknown;
}

interface DeviceAuthorizationResponse {
  readonly device_code: string;
  readonly user_code: string;
  readonly verification_uri: string;
  readonly verification_uri_complete?: string;
  readonly expires_in: number;
  readonly interval?: number;
}

function audiencesOf(audience: string | readonly string[]): readonly string[] {
  const list = typeof audience === 'string' ? [audience] : audience;
  if (list.length === 0) throw new TypeError('deviceLogin needs at least one audience');
  return list;
}

function requestSignal(signal: AbortSignal | undefined): AbortSignal {
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

/** POSTs a form; the JSON answer, or a DeviceLoginError('unavailable') when there is none. */
async function postForm(
  url: string,
  form: URLSearchParams,
  signal: AbortSignal | undefined,
): Promise<{ status: number; body: TokenResponse & Record<string, unknown> }> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form,
      signal: requestSignal(signal),
    });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw new DeviceLoginError(
      'unavailable',
      `the OpenID provider could not be reached at ${url}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const body = (await response.json().catch(() => undefined)) as
    (TokenResponse & Record<string, unknown>) | undefined;
  if (typeof body !== 'object' || body === null)
    throw new DeviceLoginError(
      'unavailable',
      `the OpenID provider answered ${response.status} without JSON at ${url}`,
    );
  return { status: response.status, body };
}

async function metadataOf(issuer: string): Promise<ProviderMetadata> {
  try {
    return await discover(issuer);
  } catch (error) {
    throw new DeviceLoginError(
      'unavailable',
      `the OpenID provider ${issuer} could not be reached: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

function describe(body: TokenResponse): string {
  const error = typeof body.error === 'string' ? body.error : 'an unknown error';
  return typeof body.error_description === 'string' ? `${error} (${body.error_description})` : error;
}

function tokensOf(audience: string, body: TokenResponse, previousRefreshToken?: string): DeviceTokens {
  if (typeof body.access_token !== 'string' || body.access_token === '')
    throw new DeviceLoginError('unavailable', 'the token endpoint answered without an access token');
  let expiresAt: number;
  if (typeof body.expires_in === 'number' && body.expires_in > 0)
    expiresAt = Date.now() + body.expires_in * 1000;
  else {
    let exp: number | undefined;
    try {
      exp = decodeJwt(body.access_token).exp;
    } catch {
      exp = undefined;
    }
    if (exp === undefined)
      throw new DeviceLoginError('unavailable', 'the token endpoint named no lifetime for the token');
    expiresAt = exp * 1000;
  }
  return {
    audience,
    accessToken: body.access_token,
    refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : previousRefreshToken,
    expiresAt: new Date(expiresAt),
  };
}

export interface RefreshOptions {
  readonly issuer: string;
  /** Default {@link CANCUOC_CLI_CLIENT_ID}. */
  readonly clientId?: string;
  readonly refreshToken: string;
  /** The service the new access token is for; it must be one the login asked for. */
  readonly audience: string;
  readonly signal?: AbortSignal;
}

/**
 * A new access token for `audience` from a refresh token (OAuth 2.0 §6 with an RFC 8707 resource
 * indicator): what the CLI does with a refresh token saved by an earlier {@link deviceLogin}. The
 * answer's `refreshToken` replaces the one given (providers rotate them for public clients).
 */
export async function refreshDeviceTokens(options: RefreshOptions): Promise<DeviceTokens> {
  const { token_endpoint } = await metadataOf(options.issuer);
  const { status, body } = await postForm(
    token_endpoint,
    new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: options.refreshToken,
      client_id: options.clientId ?? CANCUOC_CLI_CLIENT_ID,
      resource: resourceOf(options.audience),
    }),
    options.signal,
  );
  if (status !== 200) {
    const code = typeof body.error === 'string' ? body.error : 'unavailable';
    const hint = code === 'invalid_grant' ? ': the sign-in has ended or was revoked — sign in again' : '';
    throw new DeviceLoginError(
      code,
      `the OpenID provider refused a token for ${options.audience}: ${describe(body)}${hint}`,
    );
  }
  return tokensOf(options.audience, body, options.refreshToken);
}

function checkAuthorization(body: Record<string, unknown>): DeviceAuthorizationResponse {
  const { device_code, user_code, verification_uri, verification_uri_complete, expires_in, interval } = body;
  if (
    typeof device_code !== 'string' ||
    typeof user_code !== 'string' ||
    typeof verification_uri !== 'string' ||
    typeof expires_in !== 'number' ||
    (verification_uri_complete !== undefined && typeof verification_uri_complete !== 'string') ||
    (interval !== undefined && typeof interval !== 'number')
  )
    throw new DeviceLoginError(
      'unavailable',
      'the device authorization endpoint answered an incomplete response',
    );
  return { device_code, user_code, verification_uri, verification_uri_complete, expires_in, interval };
}

/**
 * Signs a person in from a terminal with the OAuth 2.0 Device Authorization Grant (RFC 8628):
 * asks the provider's device authorization endpoint (found by discovery) for a user code, has
 * `prompt` show it, then polls the token endpoint at the provider's interval — waiting on
 * `authorization_pending`, slowing down on `slow_down` — until the person approves in a browser
 * (the tokens), refuses (`access_denied`) or the code expires (`expired_token`).
 */
export async function deviceLogin(options: DeviceLoginOptions): Promise<DeviceLogin> {
  const audiences = audiencesOf(options.audience);
  const [audience] = audiences as [string, ...string[]];
  const clientId = options.clientId ?? CANCUOC_CLI_CLIENT_ID;
  const { signal } = options;
  const metadata = await metadataOf(options.issuer);
  if (!metadata.device_authorization_endpoint)
    throw new DeviceLoginError(
      'unsupported',
      `the OpenID provider ${options.issuer} publishes no device_authorization_endpoint (RFC 8628): it cannot sign people in from a terminal`,
    );

  const request = new URLSearchParams({
    client_id: clientId,
    scope: options.scope ?? 'openid offline_access',
  });
  for (const each of audiences) request.append('resource', resourceOf(each));
  const authorization = await postForm(metadata.device_authorization_endpoint, request, signal);
  if (authorization.status !== 200)
    throw new DeviceLoginError(
      typeof authorization.body.error === 'string' ? authorization.body.error : 'unavailable',
      `the OpenID provider refused to start a device login for ${clientId}: ${describe(authorization.body)}`,
    );
  const device = checkAuthorization(authorization.body);
  const deadline = Date.now() + device.expires_in * 1000;

  await options.prompt(device.verification_uri, device.user_code, device.verification_uri_complete);

  let intervalMs =
    device.interval !== undefined
      ? device.interval * 1000
      : (options.defaultIntervalMs ?? DEFAULT_INTERVAL_MS);
  const expired = `nobody approved the sign-in at ${device.verification_uri} before code ${device.user_code} expired — sign in again`;
  let unavailable: DeviceLoginError | undefined;
  for (;;) {
    const wait = Math.min(intervalMs, Math.max(0, deadline - Date.now()));
    await sleep(wait, undefined, { signal });
    if (Date.now() >= deadline)
      throw new DeviceLoginError(
        'expired_token',
        expired + (unavailable ? ` (last error: ${unavailable.message})` : ''),
      );
    let answer;
    try {
      answer = await postForm(
        metadata.token_endpoint,
        new URLSearchParams({
          grant_type: DEVICE_CODE_GRANT,
          device_code: device.device_code,
          client_id: clientId,
          resource: resourceOf(audience),
        }),
        signal,
      );
    } catch (error) {
      // A provider briefly unreachable: keep polling, more slowly, until the code expires.
      if (!(error instanceof DeviceLoginError) || error.code !== 'unavailable') throw error;
      unavailable = error;
      intervalMs += SLOW_DOWN_MS;
      continue;
    }
    const { status, body } = answer;
    if (status === 200) {
      return session(options.issuer, clientId, tokensOf(audience, body));
    }
    switch (body.error) {
      case 'authorization_pending':
        continue;
      case 'slow_down':
        intervalMs += SLOW_DOWN_MS;
        continue;
      case 'access_denied':
        throw new DeviceLoginError('access_denied', `the sign-in with code ${device.user_code} was refused`);
      case 'expired_token':
        throw new DeviceLoginError('expired_token', expired);
      default:
        if (status >= 500) {
          unavailable = new DeviceLoginError(
            'unavailable',
            `the token endpoint answered ${status}: ${describe(body)}`,
          );
          intervalMs += SLOW_DOWN_MS;
          continue;
        }
        throw new DeviceLoginError(
          typeof body.error === 'string' ? body.error : 'unavailable',
          `the OpenID provider refused the device login: ${describe(body)}`,
        );
    }
  }
}

function session(issuer: string, clientId: string, first: DeviceTokens): DeviceLogin {
  let refreshToken = first.refreshToken;
  let queue: Promise<unknown> = Promise.resolve();
  return {
    audience: first.audience,
    accessToken: first.accessToken,
    expiresAt: first.expiresAt,
    /** The newest refresh token: save this one, the provider may have rotated the first. */
    get refreshToken() {
      return refreshToken;
    },
    refreshFor(audience: string): Promise<DeviceTokens> {
      const next = queue.then(async () => {
        if (refreshToken === undefined)
          throw new DeviceLoginError(
            'invalid_grant',
            'the provider gave this login no refresh token (offline_access)',
          );
        const tokens = await refreshDeviceTokens({ issuer, clientId, refreshToken, audience });
        refreshToken = tokens.refreshToken;
        return tokens;
      });
      queue = next.catch(() => undefined);
      return next;
    },
  };
}
