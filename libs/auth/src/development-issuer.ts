import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
  type JWTVerifyGetKey,
} from 'jose';
import type { CancuocClaims } from './principal.js';
import { localKeys } from './verifier.js';

/** The `iss` of tokens made by the embedded platform's development issuer. */
export const DEVELOPMENT_ISSUER = 'urn:cancuoc:development-issuer';

export interface TokenRequest extends CancuocClaims {
  readonly subject: string;
  readonly audience: string;
  /** Default 1 h. */
  readonly ttlSeconds?: number;
}

interface StoredKey {
  readonly kid: string;
  readonly privateJwk: JWK;
  readonly created: string;
}

interface StoredIssuer {
  readonly issuer: string;
  /** The signing key first; the ones after it are still published, for tokens made before a rotation. */
  readonly keys: readonly StoredKey[];
}

async function newKey(): Promise<StoredKey> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(privateJwk);
  return {
    kid,
    privateJwk: { ...privateJwk, kid, alg: 'ES256', use: 'sig' },
    created: new Date().toISOString(),
  };
}

function publicJwk({ privateJwk }: StoredKey): JWK {
  const { d: _private, ...rest } = privateJwk;
  return rest;
}

/**
 * The embedded platform's token issuer: ES256 keys in a file of the data directory (mode 0600), the
 * same JWT shape an OpenID Connect provider issues. Only for one machine's development platform —
 * in server mode tokens come from the configured provider, and whoever holds this file can act as
 * anyone on the embedded platform, as whoever holds its database files can.
 */
export class DevelopmentIssuer {
  private signing: Promise<CryptoKey> | undefined;

  private constructor(
    private readonly file: string | undefined,
    private stored: StoredIssuer,
  ) {}

  /** Opens the issuer whose keys are in `file`, creating them the first time. */
  static async open(file: string): Promise<DevelopmentIssuer> {
    const existing = await readIssuerFile(file);
    if (existing) return new DevelopmentIssuer(file, existing);
    const created: StoredIssuer = { issuer: DEVELOPMENT_ISSUER, keys: [await newKey()] };
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    try {
      await writeFile(file, JSON.stringify(created, null, 2), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      // Two processes creating the data directory at once: the first file wins, both use it.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const winner = await readIssuerFile(file);
      if (!winner) throw error;
      return new DevelopmentIssuer(file, winner);
    }
    return new DevelopmentIssuer(file, created);
  }

  /** An issuer whose keys live only in this process (tests). */
  static async inMemory(issuer = DEVELOPMENT_ISSUER): Promise<DevelopmentIssuer> {
    return new DevelopmentIssuer(undefined, { issuer, keys: [await newKey()] });
  }

  get issuer(): string {
    return this.stored.issuer;
  }

  /** The id of the key new tokens are signed with. */
  get currentKeyId(): string {
    return this.stored.keys[0]!.kid;
  }

  /** The public keys, as the issuer's JWKS endpoint would publish them. */
  jwks(): JSONWebKeySet {
    return { keys: this.stored.keys.map(publicJwk) };
  }

  /** A key source for verifiers in this process; follows rotations at once. */
  keys(): JWTVerifyGetKey {
    return localKeys(() => this.jwks());
  }

  async mint(request: TokenRequest): Promise<string> {
    this.signing ??= importJWK(this.stored.keys[0]!.privateJwk, 'ES256') as Promise<CryptoKey>;
    const { subject, audience, ttlSeconds, kind, roles, unit, station, agency, service } = request;
    const claims = { kind, roles: [...roles], unit, station, agency, service };
    return new SignJWT(Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined)))
      .setProtectedHeader({ alg: 'ES256', kid: this.currentKeyId, typ: 'at+jwt' })
      .setIssuer(this.issuer)
      .setAudience(audience)
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + (ttlSeconds ?? 3_600))
      .setJti(randomUUID())
      .sign(await this.signing);
  }

  /**
   * Starts signing with a new key. The old one stays published for `overlap` more keys, so tokens
   * made before the rotation keep working until they expire; {@link retire} withdraws it.
   */
  async rotate(overlap = 1): Promise<string> {
    const key = await newKey();
    await this.save({ issuer: this.issuer, keys: [key, ...this.stored.keys.slice(0, overlap)] });
    return key.kid;
  }

  /** Stops publishing a key that is no longer the signing one: its tokens are refused from now on. */
  async retire(kid: string): Promise<void> {
    if (kid === this.currentKeyId) throw new Error('the signing key cannot be retired; rotate first');
    await this.save({ issuer: this.issuer, keys: this.stored.keys.filter((k) => k.kid !== kid) });
  }

  private async save(next: StoredIssuer): Promise<void> {
    if (this.file) {
      const temporary = `${this.file}.${process.pid}.tmp`;
      await writeFile(temporary, JSON.stringify(next, null, 2), { mode: 0o600 });
      await rename(temporary, this.file);
    }
    this.stored = next;
    this.signing = undefined;
  }
}

async function readIssuerFile(file: string): Promise<StoredIssuer | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const stored = JSON.parse(text) as StoredIssuer;
  if (typeof stored.issuer !== 'string' || !Array.isArray(stored.keys) || stored.keys.length === 0)
    throw new Error(`${file} is not a development issuer's key file`);
  return stored;
}
