/** The parts of an OpenID Connect provider's metadata Cancuoc uses (OpenID Connect Discovery 1.0). */
export interface ProviderMetadata {
  readonly issuer: string;
  readonly jwks_uri: string;
  readonly token_endpoint: string;
  readonly device_authorization_endpoint?: string;
}

const cache = new Map<string, Promise<ProviderMetadata>>();

async function fetchMetadata(issuer: string, timeoutMs: number): Promise<ProviderMetadata> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok)
    throw new Error(`the OpenID provider ${issuer} answered ${response.status} for its metadata`);
  const metadata = (await response.json()) as Partial<ProviderMetadata>;
  // The issuer in the metadata must be the one configured (Discovery §4.3): a mismatch is a
  // misconfiguration or a substituted document.
  if (metadata.issuer !== issuer)
    throw new Error(`the OpenID provider at ${issuer} names itself ${metadata.issuer}`);
  if (typeof metadata.jwks_uri !== 'string' || typeof metadata.token_endpoint !== 'string')
    throw new Error(`the OpenID provider ${issuer} publishes no jwks_uri or token_endpoint`);
  return metadata as ProviderMetadata;
}

/** The provider's metadata, fetched once per process; a failed fetch is retried on the next call. */
export function discover(issuer: string, timeoutMs = 5_000): Promise<ProviderMetadata> {
  let pending = cache.get(issuer);
  if (!pending) {
    pending = fetchMetadata(issuer, timeoutMs);
    cache.set(issuer, pending);
    pending.catch(() => cache.delete(issuer));
  }
  return pending;
}
