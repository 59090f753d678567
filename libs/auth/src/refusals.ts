import { rpcError, type GrpcLogger } from '@cancuoc/grpc';
import { CatalogueMeter } from '@cancuoc/observability';
import { status } from '@grpc/grpc-js';
import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';

import type { Principal } from './principal.js';

/** The key a caller's refusals are counted under, once its token is verified. */
export const callerKey = (principal: Pick<Principal, 'subject'>) => `subject:${principal.subject}`;

/** What a refusal's log line says of the caller: its kind and name, never request data. */
export const callerFields = (principal: Pick<Principal, 'kind' | 'subject'>) => ({
  'caller.kind': principal.kind,
  'caller.subject': principal.subject,
});

export type RefusalOutcome = 'unauthenticated' | 'denied' | 'limited';

export interface RefusalOptions {
  readonly logger?: GrpcLogger & { warn?(event: string, fields: Readonly<Record<string, unknown>>): void };
  /**
   * Counts each caller's refusals (by subject, or by peer address before a token is read). Default:
   * in process, 30 refusals a minute, then a minute blocked. Pass a `RateLimiterRedis` to share the
   * count between replicas.
   */
  readonly limiter?: RateLimiterAbstract;
}

const meter = new CatalogueMeter('@cancuoc/auth');

/**
 * What happens to a refused call besides the refusal: a metric by RPC and reason, a log line with
 * the caller's kind and subject (a staff, service, station or agency name — never a citizen's data),
 * and a per-caller count that blocks a caller who keeps being refused.
 */
export class Refusals {
  private readonly limiter: RateLimiterAbstract;

  constructor(private readonly options: RefusalOptions = {}) {
    this.limiter = options.limiter ?? new RateLimiterMemory({ points: 30, duration: 60, blockDuration: 60 });
  }

  /** Throws RESOURCE_EXHAUSTED while `key` is blocked for too many refusals. */
  async check(method: string, key: string): Promise<void> {
    const state = await this.limiter.get(key);
    if (state && state.consumedPoints > this.limiter.points) {
      this.count(method, 'limited', 'TOO_MANY_REFUSALS');
      throw rpcError(status.RESOURCE_EXHAUSTED, 'too many refused calls from this caller; try again later');
    }
  }

  /** Records one refusal of `key` calling `method`. */
  async record(
    method: string,
    key: string,
    outcome: RefusalOutcome,
    reason: string,
    caller: Readonly<Record<string, unknown>> = {},
  ): Promise<void> {
    this.count(method, outcome, reason);
    const log = this.options.logger;
    const fields = { 'rpc.method': method, outcome, reason, ...caller };
    if (log?.warn) log.warn('auth.refused', fields);
    else log?.error('auth.refused', fields);
    // Past its points the key is blocked for `blockDuration` (consume rejects then; the refusal
    // stands either way).
    await this.limiter.consume(key).catch(() => undefined);
  }

  /**
   * Records a caller refused by a use case for acting outside its grant's limit (another station's
   * job, another unit's citizen, another agency's purpose), keyed like the guard's refusals.
   */
  async outsideLimit(method: string, principal: Principal, reason: string): Promise<void> {
    await this.record(method, callerKey(principal), 'denied', reason, callerFields(principal));
  }

  private count(method: string, outcome: RefusalOutcome, reason: string): void {
    meter.add('authRefusals', 1, {
      'rpc.method': method,
      'cancuoc.auth.outcome': outcome,
      'cancuoc.auth.reason': reason,
    });
  }
}
