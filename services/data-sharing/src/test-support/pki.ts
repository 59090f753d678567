import 'reflect-metadata';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { TlsFiles } from '@cancuoc/grpc';

// @peculiar/x509 signs with WebCrypto (and needs reflect-metadata, imported above).
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

const pem = (label: string, der: ArrayBuffer) =>
  `-----BEGIN ${label}-----\n${Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd()}\n-----END ${label}-----\n`;

const keyPair = () =>
  webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;

/**
 * A throw-away platform CA in a temporary folder, as cert-manager keeps one in a deployment: the
 * server's certificate (localhost, 127.0.0.1) and a client certificate per caller, each naming its
 * subject as `URI:cancuoc:<subject>` — the name the auth guard compares with the token's `sub`.
 */
export class TestPki {
  private serial = 1;
  private readonly issued = new Map<string, Promise<TlsFiles>>();

  private constructor(
    readonly dir: string,
    private readonly ca: x509.X509Certificate,
    private readonly caKeys: CryptoKeyPair,
    readonly caFile: string,
  ) {}

  static async create(): Promise<TestPki> {
    const dir = await mkdtemp(join(tmpdir(), 'cancuoc-data-sharing-pki-'));
    const caKeys = await keyPair();
    const ca = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01',
      name: 'CN=Cancuoc test platform CA',
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 24 * 3600_000),
      keys: caKeys,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ],
    });
    const caFile = join(dir, 'ca.crt');
    await writeFile(caFile, ca.toString('pem'));
    return new TestPki(dir, ca, caKeys, caFile);
  }

  /**
   * The certificate of `subject` (made on first use): common name and `URI:cancuoc:<subject>`, and
   * with `server` the names a client on this machine dials (localhost, 127.0.0.1).
   */
  certificate(subject: string, options: { server?: boolean } = {}): Promise<TlsFiles> {
    const key = `${subject}\n${options.server === true}`;
    let issued = this.issued.get(key);
    if (!issued) {
      issued = this.issue(subject, { subject, server: options.server });
      this.issued.set(key, issued);
    }
    return issued;
  }

  /** A new certificate and key for `commonName`, with `URI:cancuoc:<subject>` when a subject is given. */
  async issue(commonName: string, options: { subject?: string; server?: boolean } = {}): Promise<TlsFiles> {
    const keys = await keyPair();
    const names: x509.JsonGeneralName[] = [];
    if (options.subject) names.push({ type: 'url', value: `cancuoc:${options.subject}` });
    if (options.server) names.push({ type: 'dns', value: 'localhost' }, { type: 'ip', value: '127.0.0.1' });
    const serial = (++this.serial).toString(16).padStart(2, '0');
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: serial,
      subject: `CN=${commonName}`,
      issuer: this.ca.subject,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 24 * 3600_000),
      signingKey: this.caKeys.privateKey,
      publicKey: keys.publicKey,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([SERVER_AUTH, CLIENT_AUTH]),
        ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
      ],
    });
    const base = join(this.dir, `${serial}-${commonName.replace(/[^A-Za-z0-9.-]/g, '_')}`);
    const certFile = `${base}.crt`;
    const keyFile = `${base}.key`;
    await writeFile(certFile, certificate.toString('pem'));
    await writeFile(keyFile, pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)), {
      mode: 0o600,
    });
    return { certFile, keyFile, caFile: this.caFile };
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
