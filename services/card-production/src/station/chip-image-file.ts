import { CHIP_FILE_ORDER, type ChipFiles } from '../domain/personalisation/chip-image.js';

/** ICAO file identifiers of the eMRTD application's files (Doc 9303 Part 10 §3.6). */
const FILE_IDS: Readonly<Record<(typeof CHIP_FILE_ORDER)[number], number>> = {
  efCom: 0x011e,
  dg1: 0x0101,
  dg2: 0x0102,
  dg13: 0x010d,
  efSod: 0x011d,
};
const MAGIC = Buffer.from('CANCUOC-SIMULATED-CHIP/1\n');

/**
 * The simulator's stand-in for a chip: the application identifier, then each file as its
 * two-byte file identifier, a four-byte length and its bytes. Written to disk and read back, so
 * the read-back hash covers what was actually stored.
 */
export function chipImage(applicationId: Uint8Array, files: ChipFiles): Buffer {
  const parts: Buffer[] = [MAGIC, Buffer.of(applicationId.length), Buffer.from(applicationId)];
  for (const name of CHIP_FILE_ORDER) {
    const header = Buffer.alloc(6);
    header.writeUInt16BE(FILE_IDS[name], 0);
    header.writeUInt32BE(files[name].length, 2);
    parts.push(header, Buffer.from(files[name]));
  }
  return Buffer.concat(parts);
}

/** The files of a chip image, as a reader selecting each file would get them. */
export function readChipImage(image: Buffer): ChipFiles {
  if (!image.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('not a simulated chip image');
  let offset = MAGIC.length;
  offset += 1 + image[offset]!;
  const byId = new Map<number, Uint8Array>();
  while (offset < image.length) {
    const id = image.readUInt16BE(offset);
    const length = image.readUInt32BE(offset + 2);
    byId.set(id, new Uint8Array(image.subarray(offset + 6, offset + 6 + length)));
    offset += 6 + length;
  }
  const file = (name: (typeof CHIP_FILE_ORDER)[number]) => {
    const bytes = byId.get(FILE_IDS[name]);
    if (!bytes) throw new Error(`the chip image lacks ${name}`);
    return bytes;
  };
  return {
    efCom: file('efCom'),
    dg1: file('dg1'),
    dg2: file('dg2'),
    dg13: file('dg13'),
    efSod: file('efSod'),
  };
}
