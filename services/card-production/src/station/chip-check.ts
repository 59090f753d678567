import {
  parseDg1,
  parseDg13,
  parseDg2,
  parseEfCom,
  passiveAuthentication,
  readVietnamDg13,
  readVietnamTd1,
} from '@cancuoc/icao9303';
import { dataGroupsOf, type ChipFiles } from '../domain/personalisation/chip-image.js';

/** What a station finds wrong with the files it was sent; the job is failed with it. */
export type ChipCheckFailure =
  | { readonly kind: 'unreadable'; readonly detail: string }
  | { readonly kind: 'passive-authentication'; readonly detail: string };

/**
 * What an encoding station checks before writing a chip: every file parses (EF.COM lists exactly
 * DG1, DG2 and DG13; DG1 holds a Vietnamese TD1 MRZ whose check digits hold; DG2 holds an
 * ISO/IEC 19794-5 face; DG13 reads), and passive authentication against the trusted CSCAs passes
 * (Document Signer chain, signature, every data-group hash). Details name checks, never data.
 */
export function checkChipFiles(
  files: ChipFiles,
  trustedCscas: readonly Uint8Array[],
  at = new Date(),
): ChipCheckFailure | undefined {
  try {
    const com = parseEfCom(files.efCom);
    if (com.dataGroups.join(',') !== '1,2,13')
      return { kind: 'unreadable', detail: 'EF.COM does not list DG1, DG2 and DG13' };
    const mrz = readVietnamTd1(parseDg1(files.dg1));
    if (!mrz.valid) {
      const failed = mrz.checks.filter((c) => !c.valid).map((c) => c.check);
      return { kind: 'unreadable', detail: `MRZ checks failed: ${failed.join(', ')}` };
    }
    const faces = parseDg2(files.dg2);
    if (faces.length !== 1 || faces[0]!.images.length !== 1)
      return { kind: 'unreadable', detail: 'DG2 does not hold one face' };
    const dg13 = readVietnamDg13(parseDg13(files.dg13));
    if (dg13.personalIdNumber !== mrz.personalIdNumber) {
      return { kind: 'unreadable', detail: 'DG13 and the MRZ name different personal id numbers' };
    }
  } catch (error) {
    return { kind: 'unreadable', detail: `a file does not parse: ${(error as Error).name}` };
  }
  const result = passiveAuthentication({
    sod: files.efSod,
    dataGroups: dataGroupsOf(files),
    trustedCscas,
    at,
  });
  if (!result.valid) {
    return {
      kind: 'passive-authentication',
      detail: [...new Set(result.failures.map((f) => f.check))].join(', '),
    };
  }
  return undefined;
}
