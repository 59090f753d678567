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

/** One synthetic population, registered row by row (`register(index)`), each child after its parents. */
export interface Population {
  readonly size: number;
  /**
   * Registers row `index` once its parents' rows are settled, linking it to them; resolves with the
   * citizen, or `undefined` when the register already held the row (an earlier run with the seed).
   * Take the rows in order: a row's parents are always earlier rows.
   */
  register(index: number): Promise<SeededCitizen | undefined>;
}

/**
 * The rows of `generatePopulation({ count, seed })` (libs/synthetic: Vietnamese names, communes in
 * force, valid personal id numbers), to register as existing citizens. A parent the register
 * already held, from an earlier run with the same seed, is looked up by its personal id number
 * (GetCitizen, audited with its purpose), so that a run that continues an interrupted one still
 * links the children to their parents.
 */
export function populationOf(
  connection: Connection,
  options: { readonly count: number; readonly seed: number },
): Population {
  const registry = connection.client(RegistryService, 'registry', SEED_CLERK);
  const rows = [...generatePopulation({ count: options.count, seed: options.seed })];
  const parents = new Set(rows.flatMap((r) => [r.father_personal_id, r.mother_personal_id]).filter(Boolean));
  // Each row's registration, settled with its record id (undefined when it is not known).
  const registered = new Map<string, Promise<string | undefined>>();
  const settle = new Map<string, (citizenId: string | undefined) => void>();
  for (const row of rows) {
    registered.set(row.personal_id, new Promise((resolve) => settle.set(row.personal_id, resolve)));
  }
  const parent = (personalId: string) => (personalId ? registered.get(personalId) : undefined);
  const recordIdOf = async (personalId: string) => {
    try {
      const found = await registry.getCitizen({ personalId, purpose: 'synthetic-population-parent-link' });
      return found.citizenId || undefined;
    } catch {
      return undefined; // the child is registered without the link: the register flags it
    }
  };
  return {
    size: rows.length,
    async register(index) {
      const row = rows[index]!;
      const done = settle.get(row.personal_id)!;
      try {
        const [father, mother] = await Promise.all([
          parent(row.father_personal_id),
          parent(row.mother_personal_id),
        ]);
        const { registration } = await registry.registerExistingCitizen({
          personalId: row.personal_id,
          facts: facts(row, { father, mother }),
        });
        const citizenId = registration!.citizenId;
        done(citizenId);
        return {
          citizenId,
          personalId: row.personal_id,
          biometricSeed: options.seed * 100_000 + index,
          officeUnitCode: row.residence_commune,
        };
      } catch (error) {
        if (grpcCode(error) !== status.ALREADY_EXISTS) {
          done(undefined);
          throw error;
        }
        done(parents.has(row.personal_id) ? await recordIdOf(row.personal_id) : undefined);
        return undefined;
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
      const citizen = await population.register(index);
      if (citizen) citizens.push(citizen);
      else alreadyRegistered++;
      options.onRegistered?.();
    },
    options.signal,
  );
  return { citizens, alreadyRegistered };
}
