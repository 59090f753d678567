import { DomainValidationError, type FieldViolation } from '@cancuoc/identity';

/**
 * ISO/IEC 19794-4:2005 finger image record ("FIR\0", version "010\0"), big-endian:
 *
 * general header (32 bytes): format identifier (4) · version (4) · record length (6) · capture
 * device id (2) · image acquisition level (2) · number of finger images (1) · scale units (1:
 * 1 pixels per inch, 2 pixels per centimetre) · scan resolution horizontal and vertical (2 + 2) ·
 * image resolution horizontal and vertical (2 + 2) · pixel depth in bits (1) · compression (1:
 * 0 uncompressed, 1 bit-packed, 2 WSQ, 3 JPEG, 4 JPEG 2000, 5 PNG) · reserved (2);
 *
 * per finger image, a header of 14 bytes — length of the finger data block, header included (4) ·
 * finger position (1) · count of views (1) · view number (1) · image quality (1) · impression
 * type (1) · horizontal and vertical line length (2 + 2) · reserved (1) — then the image data.
 */
export const FINGER_IMAGE_RECORD_MEDIA_TYPE = 'application/vnd.iso.19794-4';

export type FingerImageCompression = 'uncompressed' | 'bit-packed' | 'wsq' | 'jpeg' | 'jpeg2000' | 'png';

const COMPRESSIONS: readonly FingerImageCompression[] = [
  'uncompressed',
  'bit-packed',
  'wsq',
  'jpeg',
  'jpeg2000',
  'png',
];

export interface FingerImage {
  /** 0 unknown, 1–10 as in `fingers.ts`; 11–15 are multi-finger slaps. */
  readonly position: number;
  readonly viewCount: number;
  readonly viewNumber: number;
  /** 0–100, or 254/255 for "not calculated" / "failed". */
  readonly quality: number;
  readonly impressionType: number;
  readonly width: number;
  readonly height: number;
  /** The image as compressed by the record's algorithm. */
  readonly data: Uint8Array;
}

export interface FingerImageRecord {
  readonly captureDeviceId: number;
  readonly acquisitionLevel: number;
  /** Pixels per centimetre, whatever unit the record used. */
  readonly resolutionX: number;
  readonly resolutionY: number;
  readonly pixelDepth: number;
  readonly compression: FingerImageCompression;
  readonly images: readonly FingerImage[];
}

export const GENERAL_HEADER_BYTES = 32;
export const IMAGE_HEADER_BYTES = 14;
export const FIR_IDENTIFIER = Uint8Array.of(0x46, 0x49, 0x52, 0x00);
export const FIR_VERSION = Uint8Array.of(0x30, 0x31, 0x30, 0x00);

export class MalformedFingerImageRecordError extends DomainValidationError {
  override readonly name = 'MalformedFingerImageRecordError';
  constructor(violations: readonly FieldViolation[]) {
    super('malformed ISO/IEC 19794-4 record', violations);
  }
}

const malformed = (description: string) =>
  new MalformedFingerImageRecordError([{ field: 'record', reason: 'MALFORMED_RECORD', description }]);

const uint = (bytes: Uint8Array, at: number, size: number) => {
  let value = 0;
  for (let i = 0; i < size; i++) value = value * 256 + bytes[at + i]!;
  return value;
};

const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Parses and validates the record's structure; the images themselves are decoded by the caller. */
export function parseFingerImageRecord(bytes: Uint8Array): FingerImageRecord {
  if (bytes.length < GENERAL_HEADER_BYTES) {
    throw malformed(
      `a record has a ${GENERAL_HEADER_BYTES}-byte header; this file has ${bytes.length} bytes`,
    );
  }
  if (!equal(bytes.subarray(0, 4), FIR_IDENTIFIER)) {
    throw malformed('the file does not start with "FIR": it is not an ISO/IEC 19794-4 record');
  }
  if (!equal(bytes.subarray(4, 8), FIR_VERSION)) {
    throw malformed('only version "010" (ISO/IEC 19794-4:2005) records are accepted');
  }
  const length = uint(bytes, 8, 6);
  if (length !== bytes.length) {
    throw malformed(`the header gives a record length of ${length} bytes; the file has ${bytes.length}`);
  }
  const count = bytes[18]!;
  const scaleUnits = bytes[19]!;
  if (scaleUnits !== 1 && scaleUnits !== 2)
    throw malformed(`scale units ${scaleUnits} are neither 1 (ppi) nor 2 (ppcm)`);
  const toPerCentimetre = (value: number) => (scaleUnits === 1 ? Math.round(value / 2.54) : value);
  const resolutionX = toPerCentimetre(uint(bytes, 24, 2));
  const resolutionY = toPerCentimetre(uint(bytes, 26, 2));
  if (resolutionX === 0 || resolutionY === 0) throw malformed('the image resolution is zero');
  const pixelDepth = bytes[28]!;
  if (pixelDepth === 0 || pixelDepth > 16) throw malformed(`pixel depth ${pixelDepth} is not 1–16 bits`);
  const compression = COMPRESSIONS[bytes[29]!];
  if (!compression) throw malformed(`compression algorithm ${bytes[29]} is not defined`);
  const images: FingerImage[] = [];
  let at = GENERAL_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (at + IMAGE_HEADER_BYTES > bytes.length)
      throw malformed(`the record ends inside the header of image ${i}`);
    const block = uint(bytes, at, 4);
    if (block < IMAGE_HEADER_BYTES || at + block > bytes.length) {
      throw malformed(`image ${i} at byte ${at} says it is ${block} bytes long, beyond the record`);
    }
    const position = bytes[at + 4]!;
    if (position > 15) throw malformed(`image ${i}: finger position ${position} is not defined`);
    const quality = bytes[at + 7]!;
    if (quality > 100 && quality < 254) throw malformed(`image ${i}: quality ${quality} is not 0–100`);
    const width = uint(bytes, at + 9, 2);
    const height = uint(bytes, at + 11, 2);
    if (width === 0 || height === 0) throw malformed(`image ${i}: its size is zero`);
    images.push({
      position,
      viewCount: bytes[at + 5]!,
      viewNumber: bytes[at + 6]!,
      quality,
      impressionType: bytes[at + 8]!,
      width,
      height,
      data: bytes.slice(at + IMAGE_HEADER_BYTES, at + block),
    });
    at += block;
  }
  if (at !== bytes.length) throw malformed(`${bytes.length - at} bytes follow the last finger image`);
  return {
    captureDeviceId: uint(bytes, 14, 2),
    acquisitionLevel: uint(bytes, 16, 2),
    resolutionX,
    resolutionY,
    pixelDepth,
    compression,
    images,
  };
}
