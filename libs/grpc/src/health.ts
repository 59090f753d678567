import { status } from '@grpc/grpc-js';
import { AsyncQueue } from './async-queue.js';
import { rpcError } from './errors.js';
import {
  Health,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from './gen/grpc/health/v1/health_pb.js';
import { defineService, type ServiceRegistration } from './service.js';

export { ServingStatus };

/** The service name under which `grpc.health.v1` reports the server as a whole. */
export const OVERALL_HEALTH = '';

/** The most services `List` answers with (as the health protocol specifies). */
const LIST_LIMIT = 100;

type Listener = (service: string, status: ServingStatus) => void;

/**
 * The serving status of each service of a server (by fully qualified name, `''` for the server as
 * a whole), as `grpc.health.v1.Health` reports it. Flip a service to NOT_SERVING when a dependency
 * it cannot work without is down; the server marks everything NOT_SERVING when it starts draining.
 */
export class HealthStatus {
  readonly #statuses = new Map<string, ServingStatus>();
  readonly #listeners = new Set<Listener>();
  readonly #closers = new Set<() => void>();

  set(service: string, serving: ServingStatus): void {
    if (this.#statuses.get(service) === serving) return;
    this.#statuses.set(service, serving);
    for (const listener of this.#listeners) listener(service, serving);
  }

  /** Sets every known service (and the overall status) at once. */
  setAll(serving: ServingStatus): void {
    for (const service of [OVERALL_HEALTH, ...this.#statuses.keys()]) this.set(service, serving);
  }

  get(service: string): ServingStatus | undefined {
    return this.#statuses.get(service);
  }

  snapshot(): ReadonlyMap<string, ServingStatus> {
    return new Map(this.#statuses);
  }

  /** Calls `listener` on every change until the returned function is called or the status closes. */
  subscribe(listener: Listener, onClose: () => void): () => void {
    this.#listeners.add(listener);
    this.#closers.add(onClose);
    return () => {
      this.#listeners.delete(listener);
      this.#closers.delete(onClose);
    };
  }

  /** Ends every Watch stream (they would otherwise hold a graceful shutdown open). */
  close(): void {
    for (const close of [...this.#closers]) close();
    this.#listeners.clear();
    this.#closers.clear();
  }
}

/** `grpc.health.v1.Health` (Check, List, Watch) over a {@link HealthStatus}; needs no authentication. */
export function healthService(health: HealthStatus): ServiceRegistration {
  return defineService(Health, {
    check(request) {
      const serving = health.get(request.service);
      if (serving === undefined) throw rpcError(status.NOT_FOUND, 'unknown service');
      return { status: serving };
    },
    list() {
      const statuses = health.snapshot();
      if (statuses.size > LIST_LIMIT) {
        throw rpcError(status.RESOURCE_EXHAUSTED, `more than ${LIST_LIMIT} services`);
      }
      return { statuses: Object.fromEntries([...statuses].map(([name, s]) => [name, { status: s }])) };
    },
    async *watch(request, call) {
      const changes = new AsyncQueue<ServingStatus>();
      const unsubscribe = health.subscribe(
        (service, serving) => {
          if (service === request.service) changes.push(serving);
        },
        () => changes.end(),
      );
      const stop = () => changes.end();
      call.signal.addEventListener('abort', stop, { once: true });
      try {
        let last = health.get(request.service) ?? ServingStatus.SERVICE_UNKNOWN;
        yield { status: last };
        for await (const serving of changes) {
          if (serving === last) continue;
          last = serving;
          yield { status: serving };
        }
      } finally {
        unsubscribe();
        call.signal.removeEventListener('abort', stop);
      }
    },
  });
}
