import { RegistryService, Sex, type RegistrationFactsSchema } from '@cancuoc/proto';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { identities, type Identity } from '@cancuoc/auth';
import { grpcCode, status } from '@cancuoc/grpc';
import { generatePopulation, type PopulationRow } from '@cancuoc/synthetic';
import type { Connection } from '../cli/connection.js';
import { pool } from './pool.js';

/**
 * The clerk who registers the synthetic population: a national one (the register's national
 * data centre), since its citizens live in every province. Unit 01 is Hà Nội, where it sits.
 */
export const SEED_CLERK: Identity = identities.clerk('cancuoc-seed', '01', { national: true });

/** A citizen the flow registered: opaque ids only, what the CLI may print and pass around. */
export interface SeededCitizen {
  /** The register's record id (an opaque UUID). */
  readonly citizenId: string;
  /** Kept in memory only, for enrollment's StartApplication; never printed. */
  readonly personalId: string;
  /** Seeds this citizen's synthetic face and fingerprints. */
  readonly biometricSeed: number;
  /** The commune of residence, where the card is shipped and handed over; never printed. */
  readonly officeUnitCode: string;
}

export interface SeedResult {
  readonly citizens: readonly SeededCitizen[];
  /** Rows whose personal id number the register already held (an earlier seed): left out. */
  readonly alreadyRegistered: number;
}

function facts(
  row: PopulationRow,
  parents: { father?: string; mother?: string },
): MessageInitShape<typeof RegistrationFactsSchema> {
  return {
    name: { familyName: row.family_name, middleName: row.middle_name, givenName: row.given_name },
    birthDate: row.birth_date,
    sex: row.sex === 'male' ? Sex.MALE : Sex.FEMALE,
    nationality: row.nationality,
    ethnicity: row.ethnicity,
    religion: row.religion,
    birthPlace: { provinceCode: row.birth_province, communeCode: row.birth_commune, detail: '' },
    homeTown: { provinceCode: row.home_town_province, communeCode: row.home_town_commune, detail: '' },
    permanentResidence: {
      provinceCode: row.residence_province,
      communeCode: row.residence_commune,
      detail: row.residence_detail,
    },
    fatherCitizenId: parents.father ?? '',
    motherCitizenId: parents.mother ?? '',
  };
}

/** A row of the population in the register: this run registered it, or an earlier run with the seed. */
export interface RegisteredRow {
  readonly citizen: SeededCitizen;
  /** The register already held the row: an earlier run with the same seed registered it. */
  readonly earlier: boolean;
}

/** A parent's row was not registered, so its children are not registered either. */
export class ParentNotRegistered extends Error {
  override readonly name = 'ParentNotRegistered';
  constructor(readonly parentIndex: number) {
    super(`row ${parentIndex}, a parent, was not registered: its children are not registered without it`);
  }
}

/** One synthetic population, registered row by row (`register(index)`), each child after its parents. */
export interface Population {
  readonly size: number;
  /**
   * Registers row `index` once its parents' rows are registered, linking it to them; resolves with
   * the citizen, found by its number when the register already held it (an earlier run with the
   * seed). Rejects, registering nothing, when a parent's row failed: a child is never registered
   * without the parents its row names (the register would flag a minor, and enrollment block it).
   * Take the rows in order: a row's parents are always earlier rows.
   */
  register(index: number): Promise<RegisteredRow>;
}

/**
 * The rows of `generatePopulation({ count, seed })` (libs/synthetic: Vietnamese names, communes in
 * force, valid personal id numbers, every minor with both parents on earlier rows), to register as
 * existing citizens. A row the register already held, from an earlier run with the same seed, is
 * looked up by its personal id number (GetCitizen, audited with its purpose), so that a run that
 * continues an interrupted one links the children to their parents and finds its citizens again.
 */
export function populationOf(
  connection: Connection,
  options: { readonly count: number; readonly seed: number },
): Population {
  const registry = connection.client(RegistryService, 'registry', SEED_CLERK);
  const rows = [...generatePopulation({ count: options.count, seed: options.seed })];
  // Each row's registration, settled with its record id, or rejected when the row was not registered.
  const registered = new Map<string, Promise<string>>();
  const settle = new Map<string, { resolve: (id: string) => void; reject: (e: unknown) => void }>();
  rows.forEach((row, index) => {
    const registration = new Promise<string>((resolve, reject) =>
      settle.set(row.personal_id, { resolve, reject }),
    );
    const asParent = registration.catch(() => {
      throw new ParentNotRegistered(index);
    });
    // A row no child waits on must not surface as an unhandled rejection.
    asParent.catch(() => undefined);
    registered.set(row.personal_id, asParent);
  });
  const parent = (personalId: string) => (personalId ? registered.get(personalId) : undefined);
  const recordIdOf = async (personalId: string) => {
    const found = await registry.getCitizen({ personalId, purpose: 'synthetic-population-resume' });
    return found.citizenId;
  };
  return {
    size: rows.length,
    async register(index) {
      const row = rows[index]!;
      const done = settle.get(row.personal_id)!;
      const citizen = (citizenId: string) => ({
        citizenId,
        personalId: row.personal_id,
        biometricSeed: options.seed * 100_000 + index,
        officeUnitCode: row.residence_commune,
      });
      try {
        const [father, mother] = await Promise.all([
          parent(row.father_personal_id),
          parent(row.mother_personal_id),
        ]);
        let earlier = false;
        let citizenId: string;
        try {
          const { registration } = await registry.registerExistingCitizen({
            personalId: row.personal_id,
            facts: facts(row, { father, mother }),
          });
          citizenId = registration!.citizenId;
        } catch (error) {
          if (grpcCode(error) !== status.ALREADY_EXISTS) throw error;
          earlier = true;
          citizenId = await recordIdOf(row.personal_id);
        }
        done.resolve(citizenId);
        return { citizen: citizen(citizenId), earlier };
      } catch (error) {
        done.reject(error);
        throw error;
      }
    },
  };
}

/** Registers `count` synthetic citizens (`populationOf`), `concurrency` at a time. */
export async function seedCitizens(
  connection: Connection,
  options: {
    readonly count: number;
    readonly seed: number;
    readonly concurrency?: number;
    readonly onRegistered?: () => void;
    /** Aborted: no new registration starts; those in flight finish. */
    readonly signal?: AbortSignal;
  },
): Promise<SeedResult> {
  const population = populationOf(connection, options);
  const citizens: SeededCitizen[] = [];
  let alreadyRegistered = 0;
  await pool(
    Array.from({ length: population.size }, (_, i) => i),
    options.concurrency ?? 8,
    async (index) => {
      const { citizen, earlier } = await population.register(index);
      if (earlier) alreadyRegistered++;
      else citizens.push(citizen);
      options.onRegistered?.();
    },
    options.signal,
  );
  return { citizens, alreadyRegistered };
}
