import { createHash, createPrivateKey, randomBytes, type KeyObject } from 'node:crypto';
import { mkdir, readdir, readFile, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createCsca,
  issueDocumentSigner,
  readCertificate,
  softwareSigner,
  type KeyAndCertificate,
  type Signer,
} from '@cancuoc/icao9303';
import {
  SignerUnavailableError,
  type DocumentSignerInfo,
  type DocumentSigners,
} from '../../application/ports.js';
import { certificatePem, pemBody } from './pem.js';

export interface FileKeyStoreOptions {
  readonly dir: string;
  /**
   * Makes a development CSCA and Document Signer on first start, and the next Document Signer when
   * asked to rotate or when the current one's signing period ends. Never for production: there the
   * CSCA is offline and Document Signer certificates and keys (or an HSM) are provisioned.
   */
  readonly developmentPki: boolean;
  /** How long a development Document Signer signs new cards. */
  readonly signingPeriodMs: number;
  /** How long its certificate stays valid after it stops signing: the longest card validity. */
  readonly verificationPeriodMs: number;
}

interface StoredSigner {
  readonly keyId: string;
  readonly certificate: Uint8Array;
  readonly signsFrom: Date;
  readonly signsUntil: Date;
  readonly notAfter: Date;
  readonly privateKey: KeyObject | undefined;
}

const YEAR_MS = 365 * 24 * 60 * 60 * 1000;
const RESCAN_MS = 10_000;
const LOCK_WAIT_MS = 30_000;
const SIGNERS = 'document-signers';
const CSCA_NAME = {
  country: 'VN',
  organization: 'Bộ Công an',
  commonName: 'CSCA Việt Nam (development)',
} as const;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function keyIdOf(certificate: Uint8Array): string {
  const info = readCertificate(certificate);
  return info.subjectKeyIdentifier
    ? Buffer.from(info.subjectKeyIdentifier).toString('hex')
    : createHash('sha1')
        .update(info.publicKey.export({ type: 'spki', format: 'der' }))
        .digest('hex');
}

/**
 * The CSCA and Document Signers in a key directory (mode 0700, private keys 0600):
 *
 *     csca.cert.pem                         the trust anchor relying parties get
 *     csca.key.pem                          development PKI only: production CSCAs are offline
 *     document-signers/<keyId>.cert.pem     every Document Signer ever used
 *     document-signers/<keyId>.key.pem      its private key (absent when it lives in an HSM)
 *     document-signers/<keyId>.json         { "signsFrom", "signsUntil" }: when it signs new cards
 *
 * Kept out of the database on purpose: whoever can read the database (replicas, backups, the
 * DBAs) must not be able to sign cards. The current signer is the one whose signing period covers
 * now, the latest to start if several do. A retired signer's files stay: its certificate is in
 * every EF.SOD it signed and is still listed for relying parties. Instances sharing the directory
 * see a rotation within ten seconds.
 */
export class FileKeyStore implements DocumentSigners {
  private signers: StoredSigner[] = [];
  private csca: Uint8Array = new Uint8Array();
  private scannedAt = 0;

  private constructor(private readonly options: FileKeyStoreOptions) {}

  static async open(options: FileKeyStoreOptions): Promise<FileKeyStore> {
    const store = new FileKeyStore(options);
    await mkdir(join(options.dir, SIGNERS), { recursive: true, mode: 0o700 });
    if (!(await exists(join(options.dir, 'csca.cert.pem')))) {
      if (!options.developmentPki) {
        throw new Error(`no CSCA certificate (csca.cert.pem) in the key directory ${options.dir}`);
      }
      await store.locked(async () => {
        if (!(await exists(join(options.dir, 'csca.cert.pem'))))
          await store.createDevelopmentCsca(new Date());
      });
    }
    await store.scan();
    // The first start of a development PKI leaves a Document Signer ready too.
    if (options.developmentPki) await store.current(new Date());
    return store;
  }

  async current(now: Date): Promise<{ keyId: string; signer: Signer }> {
    let found = await this.currentSigner(now);
    if (!found && this.options.developmentPki) {
      await this.locked(async () => {
        await this.scan();
        if (!(await this.currentSigner(now))) await this.issueDevelopmentSigner(now);
      });
      await this.scan();
      found = await this.currentSigner(now);
    }
    if (!found?.privateKey)
      throw new SignerUnavailableError('no Document Signer with a key signs at this time');
    return {
      keyId: found.keyId,
      signer: softwareSigner({ certificate: found.certificate, privateKey: found.privateKey }),
    };
  }

  async certificates(now: Date): Promise<readonly DocumentSignerInfo[]> {
    await this.rescanIfStale();
    const current = await this.currentSigner(now);
    return this.signers.map((s) => this.info(s, s.keyId === current?.keyId));
  }

  async cscaCertificates(): Promise<readonly Uint8Array[]> {
    await this.rescanIfStale();
    return [this.csca];
  }

  async rotate(now: Date): Promise<{ retired: DocumentSignerInfo; current: DocumentSignerInfo }> {
    return this.locked(async () => {
      await this.scan();
      const retired = await this.currentSigner(now);
      if (!retired) throw new SignerUnavailableError('no Document Signer is in force to retire');
      let next: StoredSigner | undefined;
      if (this.options.developmentPki) {
        next = await this.issueDevelopmentSigner(now);
      } else {
        // The next one was provisioned into the directory (certificate and key) ahead of time.
        next = this.signers
          .filter((s) => s.keyId !== retired.keyId && s.privateKey && s.signsUntil > now && s.notAfter > now)
          .sort((a, b) => b.signsFrom.getTime() - a.signsFrom.getTime())[0];
        if (!next)
          throw new SignerUnavailableError('provision the next Document Signer in the key directory first');
        await this.writePeriod(next.keyId, now, next.signsUntil);
      }
      await this.writePeriod(retired.keyId, retired.signsFrom, now);
      await this.scan();
      const byId = (id: string) => this.signers.find((s) => s.keyId === id)!;
      return { retired: this.info(byId(retired.keyId), false), current: this.info(byId(next.keyId), true) };
    });
  }

  private info(s: StoredSigner, current: boolean): DocumentSignerInfo {
    return {
      keyId: s.keyId,
      certificate: s.certificate,
      signsFrom: s.signsFrom,
      signsUntil: s.signsUntil,
      current,
    };
  }

  private async currentSigner(now: Date): Promise<StoredSigner | undefined> {
    await this.rescanIfStale();
    return this.signers
      .filter((s) => s.privateKey && s.signsFrom <= now && now < s.signsUntil && now < s.notAfter)
      .sort((a, b) => b.signsFrom.getTime() - a.signsFrom.getTime())[0];
  }

  private async rescanIfStale(): Promise<void> {
    if (Date.now() - this.scannedAt > RESCAN_MS) await this.scan();
  }

  private async scan(): Promise<void> {
    const dir = join(this.options.dir, SIGNERS);
    this.csca = pemBody(await readFile(join(this.options.dir, 'csca.cert.pem'), 'utf8'));
    const signers: StoredSigner[] = [];
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.cert.pem')).sort()) {
      const base = join(dir, file.slice(0, -'.cert.pem'.length));
      const certificate = pemBody(await readFile(`${base}.cert.pem`, 'utf8'));
      const info = readCertificate(certificate);
      const keyPem = await readFile(`${base}.key.pem`, 'utf8').catch(() => undefined);
      const period = await readFile(`${base}.json`, 'utf8').then(
        (text) => JSON.parse(text) as { signsFrom: string; signsUntil: string },
        () => undefined,
      );
      signers.push({
        keyId: keyIdOf(certificate),
        certificate,
        signsFrom: period ? new Date(period.signsFrom) : info.notBefore,
        signsUntil: period ? new Date(period.signsUntil) : info.notAfter,
        notAfter: info.notAfter,
        privateKey: keyPem ? createPrivateKey(keyPem) : undefined,
      });
    }
    this.signers = signers;
    this.scannedAt = Date.now();
  }

  private async createDevelopmentCsca(now: Date): Promise<void> {
    const csca = await createCsca({
      subject: CSCA_NAME,
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + 30 * YEAR_MS),
    });
    await this.writeSecret(
      join(this.options.dir, 'csca.key.pem'),
      csca.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    );
    await writeFile(join(this.options.dir, 'csca.cert.pem'), certificatePem(csca.certificate), {
      mode: 0o644,
    });
  }

  private async developmentCsca(): Promise<KeyAndCertificate> {
    const keyPem = await readFile(join(this.options.dir, 'csca.key.pem'), 'utf8');
    const privateKey = createPrivateKey(keyPem);
    const certificate = pemBody(await readFile(join(this.options.dir, 'csca.cert.pem'), 'utf8'));
    return { certificate, privateKey, publicKey: readCertificate(certificate).publicKey };
  }

  private async issueDevelopmentSigner(now: Date): Promise<StoredSigner> {
    const signsUntil = new Date(now.getTime() + this.options.signingPeriodMs);
    const issued = await issueDocumentSigner({
      issuer: await this.developmentCsca(),
      subject: {
        ...CSCA_NAME,
        commonName: `Document Signer ${now.toISOString().slice(0, 10)} (development)`,
      },
      // A minute's slack for clocks of other instances that are a little behind.
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(signsUntil.getTime() + this.options.verificationPeriodMs),
    });
    const keyId = keyIdOf(issued.certificate);
    const base = join(this.options.dir, SIGNERS, keyId);
    await this.writeSecret(
      `${base}.key.pem`,
      issued.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    );
    await writeFile(`${base}.cert.pem`, certificatePem(issued.certificate), { mode: 0o644 });
    await this.writePeriod(keyId, now, signsUntil);
    return {
      keyId,
      certificate: issued.certificate,
      signsFrom: now,
      signsUntil,
      notAfter: readCertificate(issued.certificate).notAfter,
      privateKey: issued.privateKey,
    };
  }

  private writePeriod(keyId: string, signsFrom: Date, signsUntil: Date): Promise<void> {
    return writeFile(
      join(this.options.dir, SIGNERS, `${keyId}.json`),
      `${JSON.stringify({ signsFrom: signsFrom.toISOString(), signsUntil: signsUntil.toISOString() }, null, 2)}\n`,
      { mode: 0o644 },
    );
  }

  private writeSecret(path: string, content: string): Promise<void> {
    return writeFile(path, content, { mode: 0o600, flag: 'wx' });
  }

  /**
   * Runs `work` holding the directory's lock (a `.lock` folder: mkdir is atomic), so instances
   * starting together make one CSCA and rotate once. A lock older than 30 s is a crashed holder's.
   */
  private async locked<T>(work: () => Promise<T>): Promise<T> {
    const lock = join(this.options.dir, '.lock');
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        await mkdir(lock);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const age = await stat(lock).then(
          (s) => Date.now() - s.mtimeMs,
          () => 0,
        );
        if (age > LOCK_WAIT_MS || Date.now() > deadline) {
          await rmdir(lock).catch(() => undefined);
          continue;
        }
        await sleep(50);
      }
    }
    try {
      return await work();
    } finally {
      await rmdir(lock).catch(() => undefined);
    }
  }
}

/**
 * The key-encryption key of the vault for the embedded default: made once beside the keys
 * (0600). Server deployments pass `CARD_PRODUCTION_DATA_KEY` instead.
 */
export async function embeddedDataKey(dir: string): Promise<Uint8Array> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'data-key');
  try {
    return Buffer.from((await readFile(file, 'utf8')).trim(), 'base64');
  } catch {
    const key = randomBytes(32);
    try {
      await writeFile(file, key.toString('base64'), { mode: 0o600, flag: 'wx' });
      return key;
    } catch {
      return Buffer.from((await readFile(file, 'utf8')).trim(), 'base64');
    }
  }
}
