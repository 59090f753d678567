import { X509Certificate, createPrivateKey, randomBytes, type webcrypto } from 'node:crypto';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type * as X509 from '@peculiar/x509';
import type { TlsFiles } from './tls.js';

/** What a certificate of the platform says about its holder. */
export interface IdentityRequest {
  /**
   * Who holds it, as tokens name it: `service:registry`, `station:st-1`, `agency:bhxh`. It becomes
   * the common name and the `URI:cancuoc:<subject>` SAN the auth guard matches against the token.
   */
  readonly subject: string;
  /** Names a client dials to reach it, when it serves (`registry`, `localhost`). */
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  /** Default 90. */
  readonly validityDays?: number;
}

/** A certificate and its private key, PEM (the key PKCS#8, unencrypted). */
export interface IssuedIdentity {
  readonly certPem: string;
  readonly keyPem: string;
}

export const CA_CERT_FILE = 'ca.crt';
export const CA_KEY_FILE = 'ca.key';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
/** Certificates are valid from a little before now, so a peer whose clock is behind accepts them. */
const BACKDATE_MS = 5 * 60_000;
const SUBJECT = /^[a-z]+:[A-Za-z0-9][A-Za-z0-9._-]*$/;

type CryptoKey = webcrypto.CryptoKey;

// Loaded on first use, so importing @cancuoc/grpc costs nothing to the services that never make a
// certificate. @peculiar/x509's dependency injection needs the Reflect metadata polyfill first.
let x509Module: Promise<typeof X509> | undefined;
function x509(): Promise<typeof X509> {
  x509Module ??= import('reflect-metadata').then(() => import('@peculiar/x509'));
  return x509Module;
}

function keyPair(): Promise<webcrypto.CryptoKeyPair> {
  return crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
}

async function pkcs8Pem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await crypto.subtle.exportKey('pkcs8', key)).toString('base64');
  return `-----BEGIN PRIVATE KEY-----\n${der.replace(/.{1,64}/g, '$&\n')}-----END PRIVATE KEY-----\n`;
}

function importSigningKey(pem: string): Promise<CryptoKey> {
  const der = createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
  return crypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
}

/** A positive 128-bit serial (RFC 5280 allows up to 20 octets and wants them unpredictable). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

function temporaryName(file: string): string {
  return `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
}

/** Writes `content` through a temporary file and a rename, so no reader ever sees half of it. */
async function replaceFile(file: string, content: string, mode: number): Promise<void> {
  const temporary = temporaryName(file);
  await writeFile(temporary, content, { mode });
  await rename(temporary, file);
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function newCa(validityDays: number): Promise<IssuedIdentity> {
  const lib = await x509();
  const keys = await keyPair();
  const now = Date.now();
  const certificate = await lib.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    // A name of its own, so a CA made again after a reset is told apart from the one before.
    name: [{ CN: [`Cancuoc development CA ${randomBytes(4).toString('hex')}`] }, { O: ['Cancuoc'] }],
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + validityDays * DAY_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new lib.BasicConstraintsExtension(true, 0, true),
      new lib.KeyUsagesExtension(lib.KeyUsageFlags.keyCertSign | lib.KeyUsageFlags.cRLSign, true),
      await lib.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: certificate.toString('pem'), keyPem: await pkcs8Pem(keys.privateKey) };
}

/**
 * A certificate authority for development and tests (architecture decision 9): ECDSA P-256, its
 * key in a file of the data directory (mode 0600) or only in memory. The embedded platform issues
 * from it when someone binds it beyond loopback; the server-mode tests issue every party's identity
 * from it. In Kubernetes cert-manager is the CA. Whoever holds `ca.key` can pose as any service.
 */
export class DevelopmentCa {
  private constructor(
    /** The CA certificate, PEM: what every peer trusts. */
    readonly certificatePem: string,
    private readonly signingKey: CryptoKey,
    /** The `ca.crt` of a CA opened from a directory; undefined in memory. */
    readonly caFile: string | undefined,
  ) {}

  /**
   * The CA whose `ca.crt` and `ca.key` are in `dir`, created the first time (10 years by default).
   * Two processes opening the same new directory at once end up with the same CA.
   */
  static async open(dir: string, options: { validityDays?: number } = {}): Promise<DevelopmentCa> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const certFile = join(dir, CA_CERT_FILE);
    const keyFile = join(dir, CA_KEY_FILE);
    const existing = await DevelopmentCa.load(certFile, keyFile);
    if (existing) return existing;

    const created = await newCa(options.validityDays ?? 3650);
    const keyTemporary = temporaryName(keyFile);
    await writeFile(keyTemporary, created.keyPem, { mode: 0o600 });
    try {
      // link() fails when ca.key exists: one process publishes its key, complete, then its
      // certificate; the others find the key, wait for the certificate and load the pair.
      await link(keyTemporary, keyFile);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const winner = await DevelopmentCa.load(certFile, keyFile);
      if (winner) return winner;
      throw new Error(`${dir} holds a development CA key without its certificate: remove the directory`);
    } finally {
      await unlink(keyTemporary);
    }
    await replaceFile(certFile, created.certPem, 0o644);
    return new DevelopmentCa(created.certPem, await importSigningKey(created.keyPem), certFile);
  }

  /** A CA that lives only in this process (tests). */
  static async inMemory(options: { validityDays?: number } = {}): Promise<DevelopmentCa> {
    const created = await newCa(options.validityDays ?? 3650);
    return new DevelopmentCa(created.certPem, await importSigningKey(created.keyPem), undefined);
  }

  /**
   * The CA in `certFile` and `keyFile`, or undefined when there is no key. A key without its
   * certificate is another process between publishing the two: wait a moment for it.
   */
  private static async load(certFile: string, keyFile: string): Promise<DevelopmentCa | undefined> {
    const keyPem = await readIfExists(keyFile);
    if (keyPem === undefined) return undefined;
    let certPem = await readIfExists(certFile);
    for (let attempt = 0; certPem === undefined && attempt < 100; attempt++) {
      await sleep(20);
      certPem = await readIfExists(certFile);
    }
    if (certPem === undefined) return undefined;
    const certificate = new X509Certificate(certPem);
    if (!certificate.ca || !certificate.checkPrivateKey(createPrivateKey(keyPem)))
      throw new Error(`${certFile} and ${keyFile} are not a development CA's certificate and key`);
    if (new Date(certificate.validTo).getTime() <= Date.now())
      throw new Error(
        `the development CA ${certFile} expired on ${certificate.validTo}: remove its directory`,
      );
    return new DevelopmentCa(certPem, await importSigningKey(keyPem), certFile);
  }

  /**
   * A certificate for `subject`, for server and client use both (a service is both): common name
   * and `URI:cancuoc:<subject>` SAN, the DNS and IP SANs asked for, EKU serverAuth and clientAuth.
   */
  async issue(request: IdentityRequest): Promise<IssuedIdentity> {
    if (!SUBJECT.test(request.subject))
      throw new TypeError(`"${request.subject}" is not a subject such as service:registry or station:st-1`);
    const lib = await x509();
    const ca = new lib.X509Certificate(this.certificatePem);
    const keys = await keyPair();
    const now = Date.now();
    const certificate = await lib.X509CertificateGenerator.create({
      serialNumber: serialNumber(),
      subject: [{ CN: [request.subject] }],
      issuer: ca.subjectName,
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(now + (request.validityDays ?? 90) * DAY_MS),
      publicKey: keys.publicKey,
      signingKey: this.signingKey,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new lib.BasicConstraintsExtension(false, undefined, true),
        new lib.KeyUsagesExtension(lib.KeyUsageFlags.digitalSignature, true),
        new lib.ExtendedKeyUsageExtension([lib.ExtendedKeyUsage.serverAuth, lib.ExtendedKeyUsage.clientAuth]),
        new lib.SubjectAlternativeNameExtension([
          { type: 'url', value: `cancuoc:${request.subject}` },
          ...(request.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
          ...(request.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
        ]),
        await lib.SubjectKeyIdentifierExtension.create(keys.publicKey),
        await lib.AuthorityKeyIdentifierExtension.create(ca),
      ],
    });
    return { certPem: certificate.toString('pem'), keyPem: await pkcs8Pem(keys.privateKey) };
  }

  /**
   * Issues an identity into `dir` as a cert-manager Secret is mounted — `tls.crt`, `tls.key` (0600),
   * `ca.crt` — each file replaced by a rename, so a process watching them (`TlsFiles`) takes up a
   * re-issue without a restart and never reads half a file.
   */
  async writeIdentity(
    dir: string,
    subject: string,
    options: Omit<IdentityRequest, 'subject'> = {},
  ): Promise<TlsFiles> {
    const { certPem, keyPem } = await this.issue({ ...options, subject });
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const files: TlsFiles = {
      certFile: join(dir, 'tls.crt'),
      keyFile: join(dir, 'tls.key'),
      caFile: join(dir, 'ca.crt'),
    };
    await replaceFile(files.caFile, this.certificatePem, 0o644);
    await replaceFile(files.keyFile, keyPem, 0o600);
    await replaceFile(files.certFile, certPem, 0o644);
    return files;
  }
}
