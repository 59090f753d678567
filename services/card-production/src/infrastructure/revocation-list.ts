import { create, toBinary } from '@bufbuild/protobuf';
import { RevocationListSchema } from '@cancuoc/proto';
import type { CardQueries } from '../application/card-queries.js';
import type { Clock, DocumentSigners } from '../application/ports.js';
import { REVOCATION_TO_PROTO } from './card-proto.js';

/** Signed before the list, so that a list signature can never pass for a signature over anything else. */
export const REVOCATION_LIST_CONTEXT = 'cancuoc-card-revocation-list-v1';

/** The bytes the signature covers: the context, a zero byte, the serialized RevocationList. */
export function revocationListSignedBytes(list: Uint8Array): Uint8Array {
  return Buffer.concat([Buffer.from(REVOCATION_LIST_CONTEXT, 'ascii'), Buffer.of(0), list]);
}

export interface SignedRevocationList {
  readonly list: Uint8Array;
  readonly signature: Uint8Array;
  readonly signatureAlgorithm: string;
  readonly signerCertificate: Uint8Array;
}

/**
 * The published revocation list: every revoked card by its EF.SOD fingerprint (no personal data),
 * numbered, dated, with a next update, signed by the Document Signer in force so that relying
 * parties check it against the CSCA they already trust for the cards themselves. Signed on demand
 * and reused while its number and signer stand and it is younger than a tenth of its validity.
 */
export class RevocationListPublisher {
  private cached:
    { number: number; keyId: string; issuedAt: number; signed: SignedRevocationList } | undefined;

  constructor(
    private readonly queries: CardQueries,
    private readonly signers: DocumentSigners,
    private readonly clock: Clock,
    private readonly validityMs: number,
  ) {}

  async current(): Promise<SignedRevocationList> {
    const now = this.clock();
    const { number, cards } = await this.queries.revoked();
    const { keyId, signer } = await this.signers.current(now);
    const c = this.cached;
    if (c && c.number === number && c.keyId === keyId && now.getTime() - c.issuedAt < this.validityMs / 10)
      return c.signed;
    const list = toBinary(
      RevocationListSchema,
      create(RevocationListSchema, {
        number: BigInt(number),
        issuedAt: now.toISOString(),
        nextUpdate: new Date(now.getTime() + this.validityMs).toISOString(),
        cards: cards.map((r) => ({
          cardId: r.cardId,
          sodSha256: r.sodSha256,
          reason: REVOCATION_TO_PROTO[r.reason],
          revokedAt: r.revokedAt.toISOString(),
        })),
      }),
    );
    const signed = {
      list,
      signature: await signer.sign(revocationListSignedBytes(list)),
      signatureAlgorithm: signer.algorithm,
      signerCertificate: signer.certificate,
    };
    this.cached = { number, keyId, issuedAt: now.getTime(), signed };
    return signed;
  }
}
