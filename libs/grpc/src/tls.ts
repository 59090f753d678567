import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { healthListenerFromEnv } from './server.js';

/**
 * The PEM files of one party's mutual-TLS identity (architecture decision 9): its certificate (with
 * `serverAuth` and `clientAuth` usages: a service is server and client both), its private key, and
 * the platform CA that every peer's certificate must chain to. In Kubernetes they are the
 * `tls.crt`, `tls.key` and `ca.crt` of the Secret cert-manager keeps renewed.
 */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
}

export class TlsConfigError extends Error {
  override readonly name = 'TlsConfigError';
}

/**
 * `CANCUOC_TLS_CERT_FILE`, `CANCUOC_TLS_KEY_FILE`, `CANCUOC_TLS_CA_FILE`: all three or none. None
 * means plaintext, which only the embedded platform on loopback may use (callers decide).
 */
export function tlsFilesFromEnv(env: NodeJS.ProcessEnv = process.env): TlsFiles | undefined {
  const certFile = env.CANCUOC_TLS_CERT_FILE || undefined;
  const keyFile = env.CANCUOC_TLS_KEY_FILE || undefined;
  const caFile = env.CANCUOC_TLS_CA_FILE || undefined;
  if (!certFile && !keyFile && !caFile) return undefined;
  if (!certFile || !keyFile || !caFile)
    throw new TlsConfigError(
      'CANCUOC_TLS_CERT_FILE, CANCUOC_TLS_KEY_FILE and CANCUOC_TLS_CA_FILE go together',
    );
  return { certFile, keyFile, caFile };
}

/** How often certificate files are read again, so a renewed certificate is used without a restart. */
export const TLS_REFRESH_MS = 60_000;

const CLOCK_SKEW_MS = 5 * 60_000;

function read(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new TlsConfigError(
      `cannot read the ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`,
    );
  }
}

function certificates(pem: string, file: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  try {
    if (blocks.length === 0) throw new Error('no PEM certificate');
    return blocks.map((block) => new X509Certificate(block));
  } catch (error) {
    throw new TlsConfigError(`${file} is not a PEM certificate: ${(error as Error).message}`);
  }
}

/**
 * Reads the files once and checks what would otherwise only show as refused handshakes: each one
 * readable, PEM, the key the certificate's, the certificate within its validity. grpc-js reads
 * the files asynchronously after this and drops every connection while they are unusable, so a
 * mistake found here is a clear start-up error instead of a server nobody can reach.
 */
export function checkTlsFiles(files: TlsFiles, now = new Date()): void {
  const [leaf] = certificates(read(files.certFile, 'certificate'), files.certFile);
  certificates(read(files.caFile, 'CA certificate'), files.caFile);
  let key;
  try {
    key = createPrivateKey(read(files.keyFile, 'private key'));
  } catch (error) {
    if (error instanceof TlsConfigError) throw error;
    throw new TlsConfigError(`${files.keyFile} is not a PEM private key: ${(error as Error).message}`);
  }
  if (!leaf!.checkPrivateKey(key))
    throw new TlsConfigError(`${files.keyFile} is not the private key of the certificate ${files.certFile}`);
  // A certificate issued a moment ago by a machine whose clock is ahead is not a mistake.
  if (new Date(leaf!.validFrom).getTime() > now.getTime() + CLOCK_SKEW_MS || new Date(leaf!.validTo) <= now)
    throw new TlsConfigError(
      `the certificate ${files.certFile} is valid from ${leaf!.validFrom} to ${leaf!.validTo}, not now`,
    );
}

function provider(files: TlsFiles, refreshIntervalMs: number) {
  return new grpc.experimental.FileWatcherCertificateProvider({
    certificateFile: files.certFile,
    privateKeyFile: files.keyFile,
    caCertificateFile: files.caFile,
    refreshIntervalMs,
  });
}

/**
 * Server credentials that demand a client certificate from the platform CA and follow file renewals:
 * new connections get the renewed certificate and are checked against the renewed CA file;
 * established ones keep what they were handshaken with.
 */
export function mutualTlsServerCredentials(
  files: TlsFiles,
  refreshIntervalMs = TLS_REFRESH_MS,
): grpc.ServerCredentials {
  checkTlsFiles(files);
  const files$ = provider(files, refreshIntervalMs);
  return grpc.experimental.createCertificateProviderServerCredentials(files$, files$, true);
}

/**
 * Channel credentials presenting this party's certificate and checking the server's against the
 * platform CA and its name (the host dialled, or the channel option `grpc.ssl_target_name_override`).
 * Each new connection uses the files as last read, so renewals need no restart.
 */
export function mutualTlsChannelCredentials(
  files: TlsFiles,
  refreshIntervalMs = TLS_REFRESH_MS,
): grpc.ChannelCredentials {
  checkTlsFiles(files);
  const files$ = provider(files, refreshIntervalMs);
  return grpc.experimental.createCertificateProviderChannelCredentials(files$, files$);
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** Whether `host` is on this machine only. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.');
}

/**
 * The credentials a service's gRPC server listens with: mutual TLS when it has certificate files;
 * otherwise plaintext, allowed only for the embedded platform bound to loopback — anything else
 * is a configuration error, so a server is never plaintext by oversight.
 */
export function serverCredentialsFor(options: {
  readonly tls: TlsFiles | undefined;
  readonly host: string;
  /** Server mode (`DATABASE_URL` set): mutual TLS is required. */
  readonly server: boolean;
  /** Default {@link TLS_REFRESH_MS}. */
  readonly refreshIntervalMs?: number;
}): { credentials: grpc.ServerCredentials; transport: 'mtls' | 'plaintext-loopback' } {
  if (options.tls)
    return {
      credentials: mutualTlsServerCredentials(options.tls, options.refreshIntervalMs),
      transport: 'mtls',
    };
  if (options.server)
    throw new TlsConfigError(
      'server mode needs mutual TLS: set CANCUOC_TLS_CERT_FILE, CANCUOC_TLS_KEY_FILE and CANCUOC_TLS_CA_FILE',
    );
  if (!isLoopback(options.host))
    throw new TlsConfigError(
      `plaintext gRPC is only for the embedded platform on loopback, not ${options.host}: bind 127.0.0.1 or set CANCUOC_TLS_*`,
    );
  return { credentials: grpc.ServerCredentials.createInsecure(), transport: 'plaintext-loopback' };
}

/** The channel credentials to reach a peer: mutual TLS with `tls`, else plaintext (embedded, loopback). */
export function channelCredentialsFor(tls: TlsFiles | undefined): grpc.ChannelCredentials {
  return tls ? mutualTlsChannelCredentials(tls) : grpc.credentials.createInsecure();
}

/** Where and how a service's gRPC server listens. */
export interface GrpcListenerConfig {
  readonly host: string;
  readonly port: number;
  /** Certificate files for mutual TLS; undefined: plaintext on loopback (embedded only). */
  readonly tls: TlsFiles | undefined;
  /** The plaintext health-only listener for probes (`CANCUOC_HEALTH_HOST`/`_PORT`), if any. */
  readonly healthListener: { readonly host: string; readonly port: number } | undefined;
}

/**
 * A service's listener from the environment, the one rule for all of them: `<SERVICE>_GRPC_HOST`
 * and `_PORT`, the `CANCUOC_TLS_*` files and the health port. Server mode needs mutual TLS;
 * without it the default host is loopback, and any other host is refused — checked when the
 * configuration is read, before anything starts. Throws {@link TlsConfigError}.
 */
export function grpcListenerFromEnv(
  env: NodeJS.ProcessEnv,
  options: { readonly variablePrefix: string; readonly defaultPort: number; readonly server: boolean },
): GrpcListenerConfig {
  const tls = tlsFilesFromEnv(env);
  const host = env[`${options.variablePrefix}_GRPC_HOST`] || (tls ? '0.0.0.0' : '127.0.0.1');
  const rawPort = env[`${options.variablePrefix}_GRPC_PORT`];
  const port = rawPort === undefined || rawPort === '' ? options.defaultPort : Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new TlsConfigError(`${options.variablePrefix}_GRPC_PORT must be a port number, not "${rawPort}"`);
  if (!tls) serverCredentialsFor({ tls, host, server: options.server });
  let healthListener;
  try {
    healthListener = healthListenerFromEnv(env);
  } catch (error) {
    throw new TlsConfigError((error as Error).message);
  }
  return { host, port, tls, healthListener };
}
