import { createHash } from 'node:crypto';
import {
  buildDg1,
  buildDg13,
  buildDg2,
  buildEfCom,
  buildSod,
  encodeVietnamTd1,
  vietnamDg13Entries,
  type Signer,
} from '@cancuoc/icao9303';
import type { CardPersonalised } from '../domain/card/events.js';
import {
  chipImageSha256,
  CHIP_FILE_ORDER,
  dataGroupsOf,
  type ChipFiles,
} from '../domain/personalisation/chip-image.js';
import type { CardContents } from '../domain/personalisation/card-contents.js';

/** LDS 1.7 and Unicode 4.0.0, as EF.COM states them. */
const LDS_VERSION = '0107';
const UNICODE_VERSION = '040000';
const DATA_GROUPS = [1, 2, 13] as const;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export interface BuiltChip {
  readonly files: ChipFiles;
  readonly personalisation: CardPersonalised['data'];
}

/**
 * The chip's files for a card: DG1 (the MRZ), DG2 (the portrait in an ISO/IEC 19794-5 record), DG13
 * (the Vietnamese fields), EF.COM listing them, and EF.SOD signed through the Document Signer port
 * over the three data groups.
 */
export async function buildChip(
  contents: CardContents,
  portrait: Uint8Array,
  signer: { readonly keyId: string; readonly signer: Signer },
  sex: 'male' | 'female',
  at: Date,
): Promise<BuiltChip> {
  const mrz = encodeVietnamTd1(contents.mrz);
  const dg1 = buildDg1(mrz.lines);
  const dg2 = buildDg2([
    { image: portrait, gender: sex, faceImageType: 'full-frontal', sourceType: 'static-photo-digital-still' },
  ]);
  const dg13 = buildDg13(vietnamDg13Entries(contents.dg13));
  const efCom = buildEfCom({
    ldsVersion: LDS_VERSION,
    unicodeVersion: UNICODE_VERSION,
    dataGroups: [...DATA_GROUPS],
  });
  const efSod = await buildSod({
    dataGroups: dataGroupsOf({ dg1, dg2, dg13 }),
    signer: signer.signer,
    signingTime: at,
  });
  const files: ChipFiles = { efCom, dg1, dg2, dg13, efSod };
  return {
    files,
    personalisation: {
      documentNumber: contents.documentNumber,
      issueDate: contents.issueDate.toString(),
      expiryDate: contents.expiryDate?.toString() ?? null,
      validityRuleId: contents.validityRuleId,
      mrzLayoutId: contents.mrzLayoutId,
      dg13LayoutId: contents.dg13LayoutId,
      dataGroups: [
        { dataGroup: 1, sha256: sha256(dg1) },
        { dataGroup: 2, sha256: sha256(dg2) },
        { dataGroup: 13, sha256: sha256(dg13) },
      ],
      sodSha256: sha256(efSod),
      chipImageSha256: chipImageSha256(files),
      documentSignerKeyId: signer.keyId,
      personalisedAt: at.toISOString(),
    },
  };
}

/** The vault's serialisation of the chip's files. */
export function encodeChipFiles(files: ChipFiles): Uint8Array {
  return Buffer.from(
    JSON.stringify(
      Object.fromEntries(CHIP_FILE_ORDER.map((name) => [name, Buffer.from(files[name]).toString('base64')])),
    ),
  );
}

export function decodeChipFiles(bytes: Uint8Array): ChipFiles {
  const json = JSON.parse(Buffer.from(bytes).toString()) as Record<(typeof CHIP_FILE_ORDER)[number], string>;
  const file = (name: (typeof CHIP_FILE_ORDER)[number]) => new Uint8Array(Buffer.from(json[name], 'base64'));
  return {
    efCom: file('efCom'),
    dg1: file('dg1'),
    dg2: file('dg2'),
    dg13: file('dg13'),
    efSod: file('efSod'),
  };
}
