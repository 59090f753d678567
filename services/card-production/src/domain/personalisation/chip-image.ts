import { createHash } from 'node:crypto';

/** ICAO eMRTD application identifier (Doc 9303 Part 10 §3.6.2). */
export const EMRTD_APPLICATION_ID = Uint8Array.of(0xa0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01);

/** The files written into the chip's eMRTD application, each whole (tag and length included). */
export interface ChipFiles {
  readonly efCom: Uint8Array;
  readonly dg1: Uint8Array;
  readonly dg2: Uint8Array;
  readonly dg13: Uint8Array;
  readonly efSod: Uint8Array;
}

/** The data groups by number, as EF.SOD hashes them and passive authentication reads them. */
export function dataGroupsOf(files: Pick<ChipFiles, 'dg1' | 'dg2' | 'dg13'>): Map<number, Uint8Array> {
  return new Map([
    [1, files.dg1],
    [2, files.dg2],
    [13, files.dg13],
  ]);
}

/** The order the read-back hash covers the files in; part of the station protocol. */
export const CHIP_FILE_ORDER = ['efCom', 'dg1', 'dg2', 'dg13', 'efSod'] as const;

/**
 * What a station reports after reading the chip back: SHA-256, hex, of EF.COM ‖ DG1 ‖ DG2 ‖ DG13 ‖
 * EF.SOD. Each file is a BER-TLV object, so the concatenation has only one reading.
 */
export function chipImageSha256(files: ChipFiles): string {
  const hash = createHash('sha256');
  for (const name of CHIP_FILE_ORDER) hash.update(files[name]);
  return hash.digest('hex');
}
