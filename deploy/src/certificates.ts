import { CERT_MANAGER_API, type Certificate, type Issuer, type Usage } from './crds/cert-manager.js';
import { labels } from './labels.js';
import type { Overlay } from './overlay.js';
import { SERVICES, type ServiceSpec } from './topology.js';

/**
 * The platform CA and every machine's certificate (architecture decision 9), issued and renewed by
 * cert-manager. A certificate names its holder as tokens name their subject — common name and URI
 * SAN `cancuoc:<kind>:<id>` — which is what the auth guard matches a machine's token against.
 */
export const PLATFORM_CA = 'cancuoc-platform-ca';
const BOOTSTRAP_ISSUER = 'cancuoc-selfsigned-bootstrap';

/** cert-manager writes `tls.crt`, `tls.key` and `ca.crt` into the Secret of this name. */
export function tlsSecret(service: ServiceSpec): string {
  return `${service.name}-tls`;
}

/** The subject a service's token and certificate both carry. */
export function serviceSubject(service: ServiceSpec): string {
  return `service:${service.name}`;
}

// Renewed a third of the way before expiry; the services re-read the files within a minute.
const SERVICE_VALIDITY = { duration: '2160h', renewBefore: '720h' };
// A station's or agency's certificate is carried to a machine outside the cluster, so it lives
// longer and leaves two months to carry the renewed one.
const EXTERNAL_VALIDITY = { duration: '8760h', renewBefore: '1440h' };
const LEAF_KEY = { algorithm: 'ECDSA', size: 256, encoding: 'PKCS8', rotationPolicy: 'Always' } as const;
const FROM_PLATFORM_CA = { name: PLATFORM_CA, kind: 'Issuer', group: 'cert-manager.io' } as const;

function metadata(name: string) {
  return { name, labels: labels(name, 'identity') };
}

function certificate(
  name: string,
  subject: string,
  usages: Usage[],
  validity: { duration: string; renewBefore: string },
  dnsNames: string[] = [],
): Certificate {
  return {
    apiVersion: CERT_MANAGER_API,
    kind: 'Certificate',
    metadata: metadata(name),
    spec: {
      secretName: name,
      secretTemplate: { labels: labels(name, 'identity') },
      commonName: subject,
      ...(dnsNames.length > 0 ? { dnsNames } : {}),
      uris: [`cancuoc:${subject}`],
      usages,
      ...validity,
      privateKey: LEAF_KEY,
      issuerRef: FROM_PLATFORM_CA,
    },
  };
}

/**
 * The CA Issuer every certificate comes from, backed by the Secret `cancuoc-platform-ca`. With
 * `bootstrap` cert-manager makes that CA itself, self-signed (the usual cert-manager bootstrap);
 * with `provided` the runbook puts the site's CA there, so that the certificates of stations and
 * agencies, which live outside the cluster, outlast it.
 */
export function platformCa(overlay: Overlay): (Issuer | Certificate)[] {
  const caIssuer: Issuer = {
    apiVersion: CERT_MANAGER_API,
    kind: 'Issuer',
    metadata: metadata(PLATFORM_CA),
    spec: { ca: { secretName: PLATFORM_CA } },
  };
  if (overlay.identity.platformCa === 'provided') return [caIssuer];
  return [
    {
      apiVersion: CERT_MANAGER_API,
      kind: 'Issuer',
      metadata: metadata(BOOTSTRAP_ISSUER),
      spec: { selfSigned: {} },
    },
    {
      apiVersion: CERT_MANAGER_API,
      kind: 'Certificate',
      metadata: metadata(PLATFORM_CA),
      spec: {
        secretName: PLATFORM_CA,
        commonName: `Cancuoc platform CA (${overlay.name})`,
        subject: { organizations: ['Cancuoc'] },
        isCA: true,
        usages: ['cert sign', 'crl sign', 'digital signature'],
        duration: '87600h',
        renewBefore: '8760h',
        // A renewed CA keeps its key, so certificates it issued before still chain to it.
        privateKey: { ...LEAF_KEY, rotationPolicy: 'Never' },
        issuerRef: { name: BOOTSTRAP_ISSUER, kind: 'Issuer', group: 'cert-manager.io' },
      },
    },
    caIssuer,
  ];
}

/**
 * A service's certificate: server and client both. Its DNS names are those its callers dial — the
 * Service's short name (peers' `<NAME>_<PEER>_ADDRESS`) and the namespaced ones (the edge gateway).
 */
export function serviceCertificate(service: ServiceSpec, overlay: Overlay): Certificate {
  const ns = overlay.namespace;
  return certificate(
    tlsSecret(service),
    serviceSubject(service),
    ['digital signature', 'server auth', 'client auth'],
    SERVICE_VALIDITY,
    [service.name, `${service.name}.${ns}`, `${service.name}.${ns}.svc`],
  );
}

/**
 * Client certificates for machines outside the cluster: the overlay's example encoding stations and
 * every agency it publishes to. The runbook hands each Secret's files to its machine.
 */
export function clientCertificates(overlay: Overlay): Certificate[] {
  const client: Usage[] = ['digital signature', 'client auth'];
  return [
    ...overlay.identity.stations.map((id) =>
      certificate(`station-${id}-tls`, `station:${id}`, client, EXTERNAL_VALIDITY),
    ),
    ...overlay.agencies.map((code) =>
      certificate(`agency-${code}-tls`, `agency:${code}`, client, EXTERNAL_VALIDITY),
    ),
  ];
}

export function certificateObjects(overlay: Overlay): (Issuer | Certificate)[] {
  return [
    ...platformCa(overlay),
    ...SERVICES.map((s) => serviceCertificate(s, overlay)),
    ...clientCertificates(overlay),
  ];
}
