import { DomainValidationError, type FieldViolation } from '@cancuoc/identity';

/**
 * ISO/IEC 19794-2:2005 finger minutiae record format ("FMR\0", version " 20\0"), big-endian:
 *
 * record header (24 bytes): format identifier (4) · version (4) · record length (4) · capture
 * equipment certification (4 bits) and device type id (12 bits) · image width (2) · image height (2) ·
 * X and Y resolution in pixels per centimetre (2 + 2) · number of finger views (1) · reserved (1);
 *
 * per finger view: finger position (1) · view number (4 bits) and impression type (4 bits) · finger
 * quality 0–100 (1) · number of minutiae (1) · 6 bytes per minutia — type (2 bits: 00 other,
 * 01 ridge ending, 10 bifurcation) and x (14 bits), reserved (2 bits) and y (14 bits), angle in units
 * of 360/256 degrees (1), quality 0–100 (1) — then the extended data block: its length (2) and, if
 * not zero, areas of type id (2) · area length (2, counting these four bytes) · data.
 */
export const MINUTIAE_RECORD_MEDIA_TYPE = 'application/vnd.iso.19794-2';

export type MinutiaType = 'other' | 'ridge-ending' | 'bifurcation';

export interface Minutia {
  readonly type: MinutiaType;
  /** Pixels from the left edge. */
  readonly x: number;
  /** Pixels from the top edge. */
  readonly y: number;
  /** Direction as recorded: units of 360/256 degrees, 0–255, counter-clockwise from the x axis. */
  readonly angle: number;
  /** 0–100; 0 when the capture device does not report it. */
  readonly quality: number;
}

export interface ExtendedDataArea {
  /** 0x0001 ridge counts, 0x0002 cores and deltas, others vendor-defined. */
  readonly typeId: number;
  readonly data: Uint8Array;
}

export interface FingerView {
  /** 0 unknown, 1–10 as in `fingers.ts`. */
  readonly position: number;
  readonly viewNumber: number;
  /** 0 live-scan plain, 1 live-scan rolled, 2 non-live plain, 3 non-live rolled, 8 swipe. */
  readonly impressionType: number;
  readonly quality: number;
  readonly minutiae: readonly Minutia[];
  readonly extendedData: readonly ExtendedDataArea[];
}

export interface MinutiaeRecord {
  readonly certificationFlags: number;
  readonly captureDeviceType: number;
  readonly width: number;
  readonly height: number;
  /** Pixels per centimetre (197 is 500 ppi). */
  readonly resolutionX: number;
  readonly resolutionY: number;
  readonly views: readonly FingerView[];
}

export const RECORD_HEADER_BYTES = 24;
export const VIEW_HEADER_BYTES = 4;
export const MINUTIA_BYTES = 6;
export const FORMAT_IDENTIFIER = Uint8Array.of(0x46, 0x4d, 0x52, 0x00);
export const VERSION_2005 = Uint8Array.of(0x20, 0x32, 0x30, 0x00);
const IMPRESSION_TYPES = new Set([0, 1, 2, 3, 8]);
const MINUTIA_TYPES: Record<number, MinutiaType | undefined> = {
  0: 'other',
  1: 'ridge-ending',
  2: 'bifurcation',
};

/** A record that does not follow the format: where, and what is wrong, for the device vendor. */
export class MalformedMinutiaeRecordError extends DomainValidationError {
  override readonly name = 'MalformedMinutiaeRecordError';
  constructor(violations: readonly FieldViolation[]) {
    super('malformed ISO/IEC 19794-2 record', violations);
  }
}

const malformed = (description: string) =>
  new MalformedMinutiaeRecordError([{ field: 'record', reason: 'MALFORMED_RECORD', description }]);

class Reader {
  offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  need(count: number, what: string): void {
    if (this.offset + count > this.bytes.length) {
      throw malformed(`the record ends at byte ${this.bytes.length}, inside ${what} at byte ${this.offset}`);
    }
  }

  uint(size: 1 | 2 | 4, what: string): number {
    this.need(size, what);
    let value = 0;
    for (let i = 0; i < size; i++) value = value * 256 + this.bytes[this.offset + i]!;
    this.offset += size;
    return value;
  }

  take(count: number, what: string): Uint8Array {
    this.need(count, what);
    const out = this.bytes.slice(this.offset, this.offset + count);
    this.offset += count;
    return out;
  }
}

const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

function readExtendedData(reader: Reader, view: number): ExtendedDataArea[] {
  const blockLength = reader.uint(2, `the extended data length of view ${view}`);
  const end = reader.offset + blockLength;
  reader.need(blockLength, `the extended data of view ${view}`);
  const areas: ExtendedDataArea[] = [];
  while (reader.offset < end) {
    const at = reader.offset;
    const typeId = reader.uint(2, 'an extended data area type');
    const length = reader.uint(2, 'an extended data area length');
    if (length < 4 || at + length > end) {
      throw malformed(
        `view ${view}: the extended data area at byte ${at} has length ${length}, outside its block`,
      );
    }
    areas.push({ typeId, data: reader.take(length - 4, 'extended data') });
  }
  return areas;
}

function readView(reader: Reader, index: number, width: number, height: number): FingerView {
  const position = reader.uint(1, `finger view ${index}`);
  if (position > 10) throw malformed(`view ${index}: finger position ${position} is not 0–10`);
  const viewAndImpression = reader.uint(1, `finger view ${index}`);
  const impressionType = viewAndImpression & 0x0f;
  if (!IMPRESSION_TYPES.has(impressionType)) {
    throw malformed(`view ${index}: impression type ${impressionType} is not defined`);
  }
  const quality = reader.uint(1, `finger view ${index}`);
  if (quality > 100) throw malformed(`view ${index}: finger quality ${quality} is over 100`);
  const count = reader.uint(1, `finger view ${index}`);
  const minutiae: Minutia[] = [];
  for (let m = 0; m < count; m++) {
    const what = `minutia ${m} of view ${index}`;
    const typeAndX = reader.uint(2, what);
    const y = reader.uint(2, what) & 0x3fff;
    const angle = reader.uint(1, what);
    const minutiaQuality = reader.uint(1, what);
    const type = MINUTIA_TYPES[typeAndX >> 14];
    const x = typeAndX & 0x3fff;
    if (!type) throw malformed(`${what}: minutia type 3 is reserved`);
    if (x >= width || y >= height) throw malformed(`${what}: lies outside the ${width} × ${height} image`);
    if (minutiaQuality > 100) throw malformed(`${what}: quality ${minutiaQuality} is over 100`);
    minutiae.push({ type, x, y, angle, quality: minutiaQuality });
  }
  return {
    position,
    viewNumber: viewAndImpression >> 4,
    impressionType,
    quality,
    minutiae,
    extendedData: readExtendedData(reader, index),
  };
}

/** Parses and validates a whole record; throws `MalformedMinutiaeRecordError` saying where it breaks. */
export function parseMinutiaeRecord(bytes: Uint8Array): MinutiaeRecord {
  const reader = new Reader(bytes);
  if (bytes.length < RECORD_HEADER_BYTES) {
    throw malformed(`a record has a ${RECORD_HEADER_BYTES}-byte header; this file has ${bytes.length} bytes`);
  }
  if (!equal(reader.take(4, 'the format identifier'), FORMAT_IDENTIFIER)) {
    throw malformed('the file does not start with "FMR": it is not an ISO/IEC 19794-2 record');
  }
  if (!equal(reader.take(4, 'the version'), VERSION_2005)) {
    throw malformed('only version " 20" (ISO/IEC 19794-2:2005) records are accepted');
  }
  const length = reader.uint(4, 'the record length');
  if (length !== bytes.length) {
    throw malformed(`the header gives a record length of ${length} bytes; the file has ${bytes.length}`);
  }
  const equipment = reader.uint(2, 'the capture equipment');
  const width = reader.uint(2, 'the image width');
  const height = reader.uint(2, 'the image height');
  const resolutionX = reader.uint(2, 'the X resolution');
  const resolutionY = reader.uint(2, 'the Y resolution');
  const viewCount = reader.uint(1, 'the number of finger views');
  reader.uint(1, 'the reserved byte');
  if (width === 0 || height === 0) throw malformed('the image size is zero');
  if (resolutionX === 0 || resolutionY === 0) throw malformed('the resolution is zero');
  const views: FingerView[] = [];
  for (let i = 0; i < viewCount; i++) views.push(readView(reader, i, width, height));
  if (reader.offset !== bytes.length) {
    throw malformed(`${bytes.length - reader.offset} bytes follow the last finger view`);
  }
  return {
    certificationFlags: equipment >> 12,
    captureDeviceType: equipment & 0x0fff,
    width,
    height,
    resolutionX,
    resolutionY,
    views,
  };
}

/** Minutia direction in radians. */
export const angleRadians = (m: Pick<Minutia, 'angle'>): number => (m.angle * 2 * Math.PI) / 256;
