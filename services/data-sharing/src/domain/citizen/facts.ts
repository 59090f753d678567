/**
 * What data sharing knows about a citizen, as received from the register, card production and
 * enrollment: plain values, independent of the wire formats they arrived in.
 */
export interface AddressFacts {
  readonly provinceCode: string;
  readonly communeCode: string;
  readonly detail: string;
}

export interface NameFacts {
  readonly familyName: string;
  readonly middleName: string;
  readonly givenName: string;
}

export type SexFacts = 'male' | 'female' | 'unspecified';
export type MaritalStatusFacts = 'single' | 'married' | 'divorced' | 'widowed' | 'unspecified';

/** The register's record (cancuoc.events.v1.Citizen). */
export interface RecordFacts {
  readonly personalId: string;
  readonly name: NameFacts;
  /** YYYY-MM-DD. */
  readonly birthDate: string;
  readonly sex: SexFacts;
  readonly nationality: string;
  readonly ethnicity: string;
  readonly religion: string;
  readonly homeTown: AddressFacts | null;
  readonly birthPlace: AddressFacts | null;
  readonly permanentResidence: AddressFacts | null;
  readonly temporaryResidence: AddressFacts | null;
  readonly maritalStatus: MaritalStatusFacts;
  readonly fatherCitizenId: string | null;
  readonly motherCitizenId: string | null;
  readonly spouseCitizenId: string | null;
  readonly deathDate: string | null;
  readonly lastVerifiedDate: string | null;
}

/** Card production's internal statuses (cancuoc.events.v1.CardStatus). */
export type CardProductionStatus =
  | 'queued'
  | 'encoding'
  | 'encoded'
  | 'quality-checked'
  | 'shipped'
  | 'delivered'
  | 'activated'
  | 'manual-handling'
  | 'cancelled'
  | 'revoked'
  | 'unspecified';

export type RevocationReasonFacts =
  'lost' | 'stolen' | 'superseded' | 'damaged' | 'holder-deceased' | 'unspecified';

/** One card (cancuoc.events.v1.Card), at one version of its stream. */
export interface CardFacts {
  readonly cardId: string;
  readonly cardVersion: number;
  readonly documentNumber: string;
  readonly status: CardProductionStatus;
  /** YYYY-MM-DD, or empty while the card is in production. */
  readonly issueDate: string;
  /** YYYY-MM-DD; null when the card does not expire. */
  readonly expiryDate: string | null;
  readonly revocationReason: RevocationReasonFacts;
  /** RFC 3339. */
  readonly changedAt: string;
}

export interface BiometricReferenceFacts {
  readonly reference: string;
  readonly sha256: string;
  readonly mediaType: string;
}

/** The biometric references of one card application (cancuoc.events.v1.CardApplication). */
export interface EnrolmentFacts {
  readonly applicationId: string;
  readonly applicationVersion: number;
  /** Only an application handed to card production counts as the citizen's enrolment. */
  readonly submitted: boolean;
  readonly face: BiometricReferenceFacts | null;
  readonly fingerprints: BiometricReferenceFacts | null;
  /** RFC 3339; empty until submitted. */
  readonly submittedAt: string;
}
