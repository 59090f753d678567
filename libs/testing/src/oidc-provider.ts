import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  calculateJwkThumbprint,
  exportJWK,
  exportPKCS8,
  generateKeyPair,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
} from 'jose';
import Provider, {
  errors,
  type Adapter,
  type AdapterPayload,
  type Configuration,
  type MiddlewareContext,
  type TokenLike,
} from 'oidc-provider';
import { approveDevice, denyDevice, DEVICE_VERIFICATION_PATH } from './oidc-provider-browser.js';

export { approveDevice, denyDevice, DeviceApprovalError } from './oidc-provider-browser.js';

/** The platform's services: the audiences the provider issues access tokens for by default. */
export const CANCUOC_AUDIENCES = ['registry', 'enrollment', 'card-production', 'data-sharing'] as const;

/** The public client of the `cancuoc` command line: device authorization grant and refresh tokens. */
export const CLI_CLIENT_ID = 'cancuoc-cli';

/** RFC 8707 resource indicators of Cancuoc services: `urn:cancuoc:<audience>`. */
const RESOURCE_PREFIX = 'urn:cancuoc:';

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const NAME = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
const KINDS = new Set(['person', 'service', 'station', 'agency']);

/**
 * The Cancuoc claims of a token (libs/auth `CancuocClaims`, repeated here: libs/auth tests depend
 * on this library, not the other way round).
 */
export interface OidcTokenClaims {
  readonly kind: 'person' | 'service' | 'station' | 'agency';
  readonly roles: readonly string[];
  readonly unit?: string;
  readonly station?: string;
  readonly agency?: string;
  readonly service?: string;
}

/** A service, station or agency: client credentials with `private_key_jwt`. */
export interface OidcMachineClient {
  /** `service:registry`, `station:st-1`, `agency:bhxh` …: also the `sub` of its tokens. */
  readonly clientId: string;
  /** The public half of the client's ES256 (or Ed25519) key. */
  readonly publicJwk: JWK;
  /** Copied into every access token the client gets. */
  readonly claims: OidcTokenClaims;
}

/** A person who can sign in (device flow of `cancuoc-cli`); `accountId` is their tokens' `sub`. */
export interface OidcAccount {
  readonly accountId: string;
  readonly claims: OidcTokenClaims;
}

/** A registered machine client and its private key, for `clientCredentials(...)` or a key file. */
export interface MachineCredentials {
  readonly clientId: string;
  readonly privateKey: CryptoKey;
  /** PKCS#8 PEM, for a `CANCUOC_CLIENT_KEY_FILE`. */
  readonly privateKeyPem: string;
  readonly publicJwk: JWK;
}

export interface OidcProviderOptions {
  readonly clients?: readonly OidcMachineClient[];
  readonly accounts?: readonly OidcAccount[];
  /** The audiences (`urn:cancuoc:<audience>` resources) tokens can be had for; default {@link CANCUOC_AUDIENCES}. */
  readonly audiences?: readonly string[];
  /** Default 0: a free port. The issuer is `http://<host>:<port>`. */
  readonly port?: number;
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Lifetime of access tokens, people's and machines'. Default 600 s. */
  readonly accessTokenTtlSeconds?: number;
  /** Lifetime of a device code (RFC 8628 `expires_in`). Default 600 s. */
  readonly deviceCodeTtlSeconds?: number;
  /**
   * The polling interval the device authorization response names (RFC 8628 §3.2), enforced: a
   * pending code polled sooner gets `slow_down`, and 5 s more are expected from then on (§3.5).
   * Default none: oidc-provider names no interval and clients use RFC 8628's 5 s.
   */
  readonly devicePollIntervalSeconds?: number;
  /** Server errors inside the provider (never expected in a test); default printed to stderr. */
  readonly onServerError?: (error: unknown) => void;
}

/** A real OpenID Connect provider (`oidc-provider`) on a local port, configured as Cancuoc expects. */
export interface OidcProvider {
  /** `http://127.0.0.1:<port>`: `CANCUOC_OIDC_ISSUER`. Stays the same across key rotations. */
  readonly issuer: string;
  readonly port: number;
  /** The `kid` new tokens are signed with. */
  readonly signingKeyId: string;
  /** Every `kid` the JWKS endpoint publishes, the signing one first. */
  readonly publishedKeyIds: readonly string[];
  /** Registers (or replaces) a service, station or agency client. */
  addClient(client: OidcMachineClient): void;
  /** Registers (or replaces) a person. */
  addAccount(account: OidcAccount): void;
  /** Generates an ES256 key pair and registers a client with its public half. */
  machineCredentials(clientId: string, claims: OidcTokenClaims): Promise<MachineCredentials>;
  /**
   * Signs with a new ES256 key from now on; the old keys stay published (overlap), so tokens signed
   * before keep verifying. Returns the new `kid`.
   */
  rotateKeys(): Promise<string>;
  /** Stops publishing every key but the signing one: tokens signed with them are refused from now on. */
  retireOldKeys(): Promise<void>;
  /**
   * Plays the person's part of a device login over HTTP, as a browser would: enters the user code
   * on the verification page, confirms, signs in as `accountId` and consents.
   */
  approveDevice(userCode: string, accountId: string): Promise<void>;
  /** Enters the user code and aborts on the confirmation page: the device gets `access_denied`. */
  denyDevice(userCode: string): Promise<void>;
  stop(): Promise<void>;
}

interface SigningKey {
  readonly kid: string;
  readonly privateJwk: JWK;
}

interface RegisteredClient {
  readonly metadata: AdapterPayload;
  readonly claims: OidcTokenClaims | undefined;
}

async function newSigningKey(): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, privateJwk: { ...jwk, kid, alg: 'ES256', use: 'sig' } };
}

function checkClaims(owner: string, claims: OidcTokenClaims): OidcTokenClaims {
  if (!KINDS.has(claims.kind)) throw new Error(`${owner}: kind must be person, service, station or agency`);
  if (!Array.isArray(claims.roles) || !claims.roles.every((role) => typeof role === 'string'))
    throw new Error(`${owner}: roles must be a list of strings`);
  return claims;
}

/** The claims as they go into a token: no undefined members, a fresh roles array. */
function tokenClaims(claims: OidcTokenClaims): Record<string, unknown> {
  const { kind, roles, unit, station, agency, service } = claims;
  const all: Record<string, unknown> = { kind, roles: [...roles], unit, station, agency, service };
  return Object.fromEntries(Object.entries(all).filter(([, value]) => value !== undefined));
}

function machineClientMetadata(client: OidcMachineClient): AdapterPayload {
  if (!NAME.test(client.clientId)) throw new Error(`client id "${client.clientId}" is not a valid name`);
  if ('d' in client.publicJwk) throw new Error(`client ${client.clientId}: publicJwk holds a private key`);
  const alg = client.publicJwk.kty === 'OKP' ? 'EdDSA' : 'ES256';
  return {
    client_id: client.clientId,
    client_name: client.clientId,
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: alg,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    jwks: { keys: [{ ...client.publicJwk, use: 'sig' }] },
  };
}

const CLI_CLIENT: AdapterPayload = {
  client_id: CLI_CLIENT_ID,
  client_name: 'cancuoc command line',
  application_type: 'native',
  token_endpoint_auth_method: 'none',
  grant_types: [DEVICE_CODE_GRANT, 'refresh_token'],
  response_types: [],
  redirect_uris: [],
};

interface Entry {
  readonly payload: AdapterPayload;
  readonly expiresAt: number;
}

/**
 * The provider's storage, in memory and owned by one test provider (oidc-provider's own memory
 * adapter shares one store between all providers of a process). Kept across the Provider instances
 * a key rotation makes, so sessions, device codes, grants and refresh tokens survive it.
 */
class Storage {
  private readonly entries = new Map<string, Entry>();

  get<T>(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.payload as T;
  }

  set(key: string, payload: unknown, expiresIn: number | undefined): void {
    const expiresAt = expiresIn === undefined ? Infinity : Date.now() + expiresIn * 1000;
    this.entries.set(key, { payload: payload as AdapterPayload, expiresAt });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}

class StorageAdapter implements Adapter {
  constructor(
    private readonly model: string,
    private readonly storage: Storage,
    private readonly clients: ReadonlyMap<string, RegisteredClient>,
  ) {}

  private key(id: string): string {
    return `${this.model}:${id}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number | undefined): Promise<void> {
    this.storage.set(this.key(id), payload, expiresIn);
    if (this.model === 'Session' && typeof payload.uid === 'string')
      this.storage.set(`sessionUid:${payload.uid}`, id, expiresIn);
    if (typeof payload.userCode === 'string') this.storage.set(`userCode:${payload.userCode}`, id, expiresIn);
    if (typeof payload.grantId === 'string') {
      const members = this.storage.get<Set<string>>(`grant:${payload.grantId}`) ?? new Set<string>();
      members.add(this.key(id));
      this.storage.set(`grant:${payload.grantId}`, members, undefined);
    }
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (this.model === 'Client') return this.clients.get(id)?.metadata;
    return this.storage.get(this.key(id));
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const id = this.storage.get<string>(`userCode:${userCode}`);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = this.storage.get<string>(`sessionUid:${uid}`);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id: string): Promise<void> {
    const payload = this.storage.get<AdapterPayload>(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    this.storage.delete(this.key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    for (const key of this.storage.get<Set<string>>(`grant:${grantId}`) ?? []) this.storage.delete(key);
    this.storage.delete(`grant:${grantId}`);
  }
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** An error as the browser helper reads it back (`data-error`). */
function errorLine(error: string, description = error): string {
  return `<p class="error" data-error="${escapeHtml(error)}">${escapeHtml(description)}</p>`;
}

const errorPage = (message: string) => page('Error', errorLine(message));

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

interface Context {
  type: string;
  body: unknown;
  readonly oidc: { readonly client?: { readonly clientId: string } };
}

/** Whether the provider lets `client` use refresh tokens (a method of oidc-provider's Client). */
interface ClientLike {
  grantTypeAllowed(grant: string): boolean;
}

/**
 * Starts a real OpenID Connect provider (`oidc-provider` 9) over HTTP on 127.0.0.1, configured the
 * way Cancuoc's services expect any provider to be:
 *
 * - ES256 signing keys made at start; JWT access tokens (`typ: at+jwt`, with `kid` and `jti`) for
 *   the resource indicators `urn:cancuoc:<audience>`, whose `aud` is the plain audience;
 * - services, stations and agencies: client credentials with `private_key_jwt`, their Cancuoc
 *   claims (`kind`, `roles`, `service`/`station`/`agency`) copied from the client registration;
 * - people: the public client `cancuoc-cli` with the device authorization grant (RFC 8628) and
 *   refresh tokens; their claims (`kind`, `roles`, `unit`) come from the account. The person's
 *   part of the flow — the verification page, then a sign-in page of this provider that takes an
 *   account id and no password — is driven over HTTP by {@link approveDevice}.
 */
export async function startOidcProvider(options: OidcProviderOptions = {}): Promise<OidcProvider> {
  const host = options.host ?? '127.0.0.1';
  const audiences = new Set(options.audiences ?? CANCUOC_AUDIENCES);
  const accessTokenTtl = options.accessTokenTtlSeconds ?? 600;
  const deviceCodeTtl = options.deviceCodeTtlSeconds ?? 600;
  const onServerError =
    options.onServerError ?? ((error: unknown) => console.error('test OpenID provider: server error', error));

  const clients = new Map<string, RegisteredClient>([
    [CLI_CLIENT_ID, { metadata: CLI_CLIENT, claims: undefined }],
  ]);
  const accounts = new Map<string, OidcTokenClaims>();
  const addClient = (client: OidcMachineClient): void => {
    if (client.clientId === CLI_CLIENT_ID)
      throw new Error(`${CLI_CLIENT_ID} is the command line's own client`);
    clients.set(client.clientId, {
      metadata: machineClientMetadata(client),
      claims: checkClaims(client.clientId, client.claims),
    });
  };
  const addAccount = (account: OidcAccount): void => {
    if (!NAME.test(account.accountId))
      throw new Error(`account id "${account.accountId}" is not a valid name`);
    accounts.set(account.accountId, checkClaims(account.accountId, account.claims));
  };
  options.clients?.forEach(addClient);
  options.accounts?.forEach(addAccount);

  const storage = new Storage();
  const cookieKeys = [randomBytes(32).toString('base64url')];
  let keys: SigningKey[] = [await newSigningKey()];

  const configuration = (): Configuration => ({
    adapter: (model: string) => new StorageAdapter(model, storage, clients),
    jwks: { keys: keys.map((key) => key.privateJwk) } satisfies JSONWebKeySet,
    cookies: { keys: cookieKeys },
    clientDefaults: {
      grant_types: ['client_credentials'],
      response_types: [],
      id_token_signed_response_alg: 'ES256',
      token_endpoint_auth_method: 'private_key_jwt',
    },
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256'],
      clientAuthSigningAlgValues: ['ES256', 'EdDSA'],
    },
    scopes: ['openid', 'offline_access'],
    routes: { code_verification: DEVICE_VERIFICATION_PATH },
    findAccount: async (_ctx: unknown, sub: string) =>
      accounts.has(sub) ? { accountId: sub, claims: async () => ({ sub }) } : undefined,
    extraTokenClaims: async (_ctx: unknown, token: TokenLike) => {
      const claims =
        token.accountId !== undefined
          ? accounts.get(token.accountId)
          : token.clientId !== undefined
            ? clients.get(token.clientId)?.claims
            : undefined;
      return claims ? tokenClaims(claims) : undefined;
    },
    interactions: {
      url: async (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      rpInitiatedLogout: { enabled: false },
      deviceFlow: {
        enabled: true,
        userCodeInputSource: async (
          ctx: Context,
          form: string,
          out: { error?: string; error_description?: string } | undefined,
          error: Error | undefined,
        ) => {
          // Set when the page is shown again for an error: a wrong, expired or used code, an abort.
          const message = error ? error.message || out?.error_description || out?.error : undefined;
          ctx.type = 'html';
          ctx.body = page(
            'Sign in a device',
            `${message ? errorLine(message) : ''}${form}` +
              '<button type="submit" form="op.deviceInputForm">Continue</button>',
          );
        },
        userCodeConfirmSource: async (
          ctx: Context,
          form: string,
          client: { clientId: string },
          _info: unknown,
          userCode: string,
        ) => {
          ctx.type = 'html';
          ctx.body = page(
            'Confirm the device',
            `<p>${escapeHtml(client.clientId)} shows the code <code>${escapeHtml(userCode)}</code>.</p>${form}` +
              '<button type="submit" form="op.deviceConfirmForm">Continue</button>' +
              '<button type="submit" form="op.deviceConfirmForm" name="abort" value="yes">Abort</button>',
          );
        },
        successSource: async (ctx: Context) => {
          ctx.type = 'html';
          ctx.body = page(
            'Signed in',
            '<p class="success">The device is signed in; you can close this page.</p>',
          );
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx: unknown, _client: unknown, oneOf?: string[]) => oneOf,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx: unknown, indicator: string) => {
          const audience = indicator.startsWith(RESOURCE_PREFIX)
            ? indicator.slice(RESOURCE_PREFIX.length)
            : undefined;
          if (audience === undefined || !audiences.has(audience))
            throw new errors.InvalidTarget(`${indicator} is not a Cancuoc service`);
          return {
            scope: '',
            audience,
            accessTokenFormat: 'jwt',
            accessTokenTTL: accessTokenTtl,
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    issueRefreshToken: async (_ctx: unknown, client: ClientLike, source: { scopes: Set<string> }) =>
      client.grantTypeAllowed('refresh_token') && source.scopes.has('offline_access'),
    ttl: {
      AccessToken: accessTokenTtl,
      ClientCredentials: accessTokenTtl,
      DeviceCode: deviceCodeTtl,
      IdToken: 3_600,
      RefreshToken: 24 * 3_600,
      Interaction: 600,
      Session: 3_600,
      Grant: 24 * 3_600,
    },
    renderError: async (ctx: Context, out: { error: string; error_description?: string }) => {
      ctx.type = 'html';
      ctx.body = page('Error', errorLine(out.error, out.error_description));
    },
  });

  const server: Server = createServer((req, res) => route(req, res));
  server.listen(options.port ?? 0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const issuer = `http://${host}:${port}`;

  let provider!: Provider;
  let callback: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const pollInterval = options.devicePollIntervalSeconds;
  const polls = new Map<string, { last: number; intervalMs: number }>();
  const build = (): void => {
    const next = new Provider(issuer, configuration());
    next.on('server_error', (_ctx, error) => onServerError(error));
    if (pollInterval !== undefined) next.use(pollingRate(pollInterval, polls, deviceCodeTtl));
    provider = next;
    callback = next.callback();
  };
  try {
    build();
  } catch (error) {
    server.close();
    throw error;
  }

  function route(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', issuer).pathname;
    const interaction = /^\/interaction\/([A-Za-z0-9_-]+)(\/login|\/abort)?$/.exec(path);
    if (!interaction) {
      if (callback === undefined) send(res, 503, errorPage('starting'));
      else callback(req, res);
      return;
    }
    interactionRoute(provider, accounts, req, res, interaction[1]!, interaction[2]).catch(
      (error: unknown) => {
        if (res.headersSent) res.destroy();
        else send(res, 400, errorPage(error instanceof Error ? error.message : String(error)));
      },
    );
  }

  const rebuild = (next: SigningKey[]): void => {
    keys = next;
    build();
  };

  return {
    issuer,
    port,
    get signingKeyId() {
      return keys[0]!.kid;
    },
    get publishedKeyIds() {
      return keys.map((key) => key.kid);
    },
    addClient,
    addAccount,
    async machineCredentials(clientId, claims) {
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
      const publicJwk = { ...(await exportJWK(publicKey)), alg: 'ES256' };
      addClient({ clientId, publicJwk, claims });
      return { clientId, privateKey, privateKeyPem: await exportPKCS8(privateKey), publicJwk };
    },
    async rotateKeys() {
      const key = await newSigningKey();
      // oidc-provider signs with the first key of its JWKS that suits the algorithm and reads the
      // JWKS once, when it is made: a new Provider on the same server, issuer and storage.
      rebuild([key, ...keys]);
      return key.kid;
    },
    async retireOldKeys() {
      rebuild([keys[0]!]);
    },
    approveDevice: (userCode, accountId) => approveDevice(issuer, userCode, accountId),
    denyDevice: (userCode) => denyDevice(issuer, userCode),
    async stop() {
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}

/** What a device authorization response or a token error looks like to the middleware. */
type JsonBody = Record<string, unknown> | undefined;

/**
 * RFC 8628's polling interval, which oidc-provider 9 neither names nor enforces: added to the
 * device authorization response; a still pending code polled sooner than its interval (less a
 * little slack) gets `slow_down` instead of `authorization_pending`, and its interval grows 5 s.
 */
function pollingRate(
  intervalSeconds: number,
  polls: Map<string, { last: number; intervalMs: number }>,
  ttlSeconds: number,
): (ctx: MiddlewareContext, next: () => Promise<void>) => Promise<void> {
  return async (ctx, next) => {
    await next();
    const route = ctx.oidc?.route;
    const body = ctx.body as JsonBody;
    if (route === 'device_authorization' && ctx.status === 200 && body) {
      ctx.body = { ...body, interval: intervalSeconds };
      return;
    }
    const params = ctx.oidc?.params;
    if (
      route !== 'token' ||
      params?.['grant_type'] !== DEVICE_CODE_GRANT ||
      body?.['error'] !== 'authorization_pending'
    )
      return;
    const code = String(params['device_code']);
    const now = Date.now();
    for (const [key, poll] of polls) if (poll.last < now - ttlSeconds * 1000) polls.delete(key);
    const poll = polls.get(code) ?? { last: 0, intervalMs: intervalSeconds * 1000 };
    const tooSoon = now - poll.last < poll.intervalMs - 100;
    polls.set(code, { last: now, intervalMs: tooSoon ? poll.intervalMs + 5_000 : poll.intervalMs });
    if (tooSoon) ctx.body = { error: 'slow_down', error_description: 'poll at most once per interval' };
  };
}

function send(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

async function formBody(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/**
 * This provider's sign-in and consent page: the account id is the whole credential (a test
 * provider). GET shows the form; POST `/login` signs the account in and grants what the client
 * asked for (its OpenID scopes and resources) in one step; POST `/abort` refuses.
 */
async function interactionRoute(
  provider: Provider,
  accounts: ReadonlyMap<string, OidcTokenClaims>,
  req: IncomingMessage,
  res: ServerResponse,
  uid: string,
  action: string | undefined,
): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('the interaction cookie belongs to another interaction');
  if (action === undefined) {
    if (req.method !== 'GET') return send(res, 405, errorPage('GET only'));
    return send(
      res,
      200,
      page(
        'Sign in',
        `<form id="login" method="post" action="/interaction/${uid}/login"><input name="account" autocomplete="username"><button type="submit">Sign in</button></form>` +
          `<form id="abort" method="post" action="/interaction/${uid}/abort"><button type="submit">Cancel</button></form>`,
      ),
    );
  }
  if (req.method !== 'POST') return send(res, 405, errorPage('POST only'));
  const form = await formBody(req);
  if (action === '/abort') {
    return provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'the person refused the sign-in' },
      { mergeWithLastSubmission: false },
    );
  }
  const accountId = form.get('account') ?? '';
  if (!accounts.has(accountId)) {
    return send(res, 400, page('Sign in', errorLine('unknown account', `unknown account ${accountId}`)));
  }
  const { params } = details;
  const grant = new provider.Grant({ accountId, clientId: String(params['client_id']) });
  if (typeof params['scope'] === 'string' && params['scope'] !== '') grant.addOIDCScope(params['scope']);
  const resources = params['resource'];
  for (const resource of Array.isArray(resources) ? resources : resources === undefined ? [] : [resources])
    grant.addResourceScope(String(resource), '');
  const grantId = await grant.save();
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
}
