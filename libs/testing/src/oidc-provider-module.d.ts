/**
 * The part of `oidc-provider` (9.x, which ships no type declarations) that the test provider uses.
 * Written from node_modules/oidc-provider/lib/provider.js and lib/helpers/defaults.js.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  /** A stored artifact (token, code, session, grant, client …) as the adapter keeps it. */
  export type AdapterPayload = Record<string, unknown> & {
    readonly jti?: string;
    readonly uid?: string;
    readonly userCode?: string;
    readonly grantId?: string;
    consumed?: number;
  };

  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn: number | undefined): Promise<void>;
    find(id: string): Promise<AdapterPayload | undefined>;
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
    findByUid(uid: string): Promise<AdapterPayload | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  /** Loose on purpose: the provider validates its configuration itself, at construction. */
  export type Configuration = Record<string, unknown>;

  export interface InteractionDetails {
    readonly uid: string;
    readonly params: Record<string, unknown>;
    readonly prompt: { readonly name: string; readonly reasons: readonly string[] };
    readonly grantId?: string;
  }

  export interface Grant {
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }

  /** The token or grant source `extraTokenClaims` is called with. */
  export interface TokenLike {
    readonly kind: string;
    readonly clientId?: string;
    readonly accountId?: string;
  }

  export class Provider {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
    urlFor(name: string, options?: Record<string, unknown>): string;
    readonly Grant: new (properties: { accountId: string; clientId: string }) => Grant;
    on(event: string, listener: (...args: unknown[]) => void): this;
    /** A Koa middleware around the provider's own routes (pre- and post-processing). */
    use(middleware: (ctx: MiddlewareContext, next: () => Promise<void>) => Promise<void>): this;
  }

  export interface MiddlewareContext {
    status: number;
    body: unknown;
    readonly oidc?: { readonly route?: string; readonly params?: Record<string, unknown> };
  }

  export const errors: {
    readonly InvalidTarget: new (description?: string) => Error;
    readonly AccessDenied: new (description?: string) => Error;
  };

  export default Provider;
}
