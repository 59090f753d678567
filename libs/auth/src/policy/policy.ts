import type { DescMethod, DescService } from '@bufbuild/protobuf';
import { permissionDenied } from '@cancuoc/grpc';
import type { CallerKind, Principal } from '../principal.js';

/**
 * The limit within which a grant holds. Role checks happen in the guard before the handler runs;
 * a limit names the object-level check the use case must make with the principal's own claims:
 * - `jurisdiction`: a clerk acts only on citizens within their administrative unit (`unit`); the
 *   role `national` lifts it. Searches return only citizens within it.
 * - `own-station`: a station (or a person signed in at one) only its own jobs and applications.
 * - `own-agency`: an agency only its own subscription, for its stated purpose.
 * - `none`: nothing beyond the role (operations, reference data, service-to-service reads).
 */
export type Limit = 'jurisdiction' | 'own-station' | 'own-agency' | 'none';

/** One way to be allowed an RPC: a kind of caller, any one of some roles, and a limit. */
export interface Grant {
  readonly kind: CallerKind;
  /** Any one of these; omitted means the kind alone suffices. */
  readonly roles?: readonly string[];
  /** For `service` callers: which services (their `service` claim). Omitted means any. */
  readonly services?: readonly string[];
  /** For a person: they must be signed in at a station (the station's own token beside theirs). */
  readonly atStation?: boolean;
  readonly limit: Limit;
}

/** Who may call one RPC: the first grant that matches wins; none matching is PERMISSION_DENIED. */
export type MethodRule = readonly Grant[];

/** A rule for every RPC of a service, keyed by local name: the compiler demands each one. */
export type ServiceRules<S extends DescService> = { readonly [K in keyof S['method']]: MethodRule };

/** The platform's authorization policy: a rule per RPC, by fully qualified service name. */
export class Policy {
  private readonly rules = new Map<string, Map<string, MethodRule>>();

  /** Adds a service's rules; every RPC of the descriptor needs one, and no rule names a missing RPC. */
  add<S extends DescService>(service: S, rules: ServiceRules<S>): this {
    const byName = new Map<string, MethodRule>();
    const table = rules as Readonly<Record<string, MethodRule>>;
    for (const method of service.methods) {
      const rule = table[method.localName];
      if (!rule) throw new Error(`${service.typeName}/${method.name} has no authorization rule`);
      byName.set(method.name, rule);
    }
    for (const name of Object.keys(table)) {
      if (!service.methods.some((m) => m.localName === name))
        throw new Error(`${service.typeName} has no RPC ${name} for its rule`);
    }
    this.rules.set(service.typeName, byName);
    return this;
  }

  /** The rule of an RPC, or undefined: no rule means nobody may call it. */
  ruleFor(method: DescMethod): MethodRule | undefined {
    return this.rules.get(method.parent.typeName)?.get(method.name);
  }

  /** Services this policy covers, by fully qualified name. */
  services(): string[] {
    return [...this.rules.keys()];
  }

  /** The grant under which `principal` may call `method`, or undefined (deny by default). */
  grantFor(method: DescMethod, principal: Principal): Grant | undefined {
    return this.ruleFor(method)?.find((grant) => matches(grant, principal));
  }
}

function matches(grant: Grant, principal: Principal): boolean {
  if (grant.kind !== principal.kind) return false;
  if (grant.roles && !grant.roles.some((role) => principal.roles.includes(role))) return false;
  if (grant.services && !(principal.service && grant.services.includes(principal.service))) return false;
  if (grant.atStation && !principal.station) return false;
  return true;
}

/** The refusal a caller gets: which RPC, never anything about the data it asked for. */
export function notAllowed(method: DescMethod, reason: string) {
  return permissionDenied(`this caller may not call ${method.name}`, {
    reason,
    metadata: { method: method.name },
  });
}
