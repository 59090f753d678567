import { RegistryService, Sex, type RegistrationFactsSchema } from '@cancuoc/proto';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { grpcCode, status } from '@cancuoc/grpc';
import { generatePopulation, type PopulationRow } from '@cancuoc/synthetic';
import type { Connection } from '../cli/connection.js';
import { pool } from './pool.js';

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

/**
 * Registers `count` synthetic citizens (libs/synthetic: Vietnamese names, communes in force, valid
 * personal id numbers) as existing citizens, `concurrency` at a time. A child's registration waits
 * for its parents' (rows name only earlier rows as parents), so that they are linked; a parent the
 * register already held from an earlier seed is not (its record id is not known here).
 */
export async function seedCitizens(
  connection: Connection,
  options: {
    readonly count: number;
    readonly seed: number;
    readonly concurrency?: number;
    readonly onRegistered?: () => void;
    readonly signal?: AbortSignal;
  },
): Promise<SeedResult> {
  const registry = connection.client(RegistryService, 'registry', 'clerk:cancuoc-seed', ['clerk']);
  const rows = [...generatePopulation({ count: options.count, seed: options.seed })];
  // Each row's registration, settled with its record id (undefined when it was not registered now);
  // a child waits for its parents' rows, which always come earlier, to link them.
  const registered = new Map<string, Promise<string | undefined>>();
  const settle = new Map<string, (citizenId: string | undefined) => void>();
  for (const row of rows) {
    registered.set(row.personal_id, new Promise((resolve) => settle.set(row.personal_id, resolve)));
  }
  const parent = (personalId: string) => (personalId ? registered.get(personalId) : undefined);
  const citizens: SeededCitizen[] = [];
  let alreadyRegistered = 0;
  await pool(
    rows,
    options.concurrency ?? 8,
    async (row, index) => {
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
        citizens.push({
          citizenId,
          personalId: row.personal_id,
          biometricSeed: options.seed * 100_000 + index,
          officeUnitCode: row.residence_commune,
        });
      } catch (error) {
        done(undefined);
        if (grpcCode(error) !== status.ALREADY_EXISTS) throw error;
        alreadyRegistered++;
      }
      options.onRegistered?.();
    },
    options.signal,
  );
  return { citizens, alreadyRegistered };
}
