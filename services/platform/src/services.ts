/** The platform's services and their documented ports: what the CLI needs without loading them. */
import { SERVICE_PORTS } from '@cancuoc/operations';

/** The four services, in the order they start (each needs the one before it) and stop in reverse. */
export const SERVICES = ['registry', 'enrollment', 'card-production', 'data-sharing'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** The documented gRPC ports of the embedded platform (and of each service's own default). */
export const DEFAULT_PORTS: Readonly<Record<ServiceName, number>> = Object.fromEntries(
  SERVICE_PORTS.map((s) => [s.name, s.port]),
) as Record<ServiceName, number>;

/** `card-production` → `CARD_PRODUCTION`: the prefix of a service's variables. */
export const envName = (service: ServiceName) => service.toUpperCase().replace(/-/g, '_');
