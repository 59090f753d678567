import { asciiBytes, bytesEqual, concatBytes, readUint, uintBytes } from '../bytes.js';
import { LdsError } from './errors.js';
import { inspectImage, type FaceImageEncoding } from './image-info.js';

/**
 * ISO/IEC 19794-5:2005 facial record, the biometric data block of DG2: a 14-byte general header
 * then, per image, a 20-byte facial information block, its feature points, a 12-byte image
 * information block and the image. We write no feature points and leave eye/hair colour,
 * expression and pose "unspecified" (0): the register holds none of them.
 */

export type FaceGender = 'unspecified' | 'male' | 'female' | 'unknown';
export type FaceImageType = 'basic' | 'full-frontal' | 'token-frontal';
export type FaceColourSpace = 'unspecified' | 'rgb24' | 'yuv422' | 'greyscale8' | 'other';
export type FaceSourceType =
  | 'unspecified'
  | 'static-photo-unknown'
  | 'static-photo-digital-still'
  | 'static-photo-scan'
  | 'video-unknown'
  | 'video-analogue'
  | 'video-digital'
  | 'unknown';

/** What the caller knows about a face image; encoding and size are read from the image. */
export interface FaceImageInput {
  readonly image: Uint8Array;
  readonly gender?: FaceGender;
  readonly faceImageType?: FaceImageType;
  readonly colourSpace?: FaceColourSpace;
  readonly sourceType?: FaceSourceType;
}

export interface FaceImage {
  readonly image: Uint8Array;
  readonly encoding: FaceImageEncoding;
  readonly width: number;
  readonly height: number;
  readonly gender: FaceGender;
  readonly faceImageType: FaceImageType;
  readonly colourSpace: FaceColourSpace;
  readonly sourceType: FaceSourceType;
  readonly featurePoints: number;
}

const FORMAT_ID = asciiBytes('FAC\0');
const VERSION = asciiBytes('010\0');
const GENERAL_HEADER = 14;
const FACIAL_INFORMATION = 20;
const FEATURE_POINT = 8;
const IMAGE_INFORMATION = 12;

/** Code tables of ISO/IEC 19794-5:2005 §5.5 and §5.7, by their numeric value. */
const GENDERS = new Map<FaceGender, number>([
  ['unspecified', 0],
  ['male', 1],
  ['female', 2],
  ['unknown', 0xff],
]);
const IMAGE_TYPES = new Map<FaceImageType, number>([
  ['basic', 0],
  ['full-frontal', 1],
  ['token-frontal', 2],
]);
const ENCODINGS = new Map<FaceImageEncoding, number>([
  ['jpeg', 0],
  ['jpeg2000', 1],
]);
const COLOUR_SPACES = new Map<FaceColourSpace, number>([
  ['unspecified', 0],
  ['rgb24', 1],
  ['yuv422', 2],
  ['greyscale8', 3],
  ['other', 4],
]);
const SOURCE_TYPES = new Map<FaceSourceType, number>([
  ['unspecified', 0],
  ['static-photo-unknown', 1],
  ['static-photo-digital-still', 2],
  ['static-photo-scan', 3],
  ['video-unknown', 4],
  ['video-analogue', 5],
  ['video-digital', 6],
  ['unknown', 7],
]);

function nameOf<T>(table: Map<T, number>, code: number, what: string): T {
  for (const [name, value] of table) if (value === code) return name;
  throw new LdsError(`facial record: ${what} code ${code} is not defined`);
}

function faceBlock(input: FaceImageInput): Uint8Array {
  const info = inspectImage(input.image);
  if (info.width < 1 || info.height < 1 || info.width > 0xffff || info.height > 0xffff) {
    throw new LdsError(`facial record: image size ${info.width}×${info.height} does not fit 2-byte fields`);
  }
  const length = FACIAL_INFORMATION + IMAGE_INFORMATION + input.image.length;
  return concatBytes(
    uintBytes(length, 4),
    uintBytes(0, 2), // feature points
    Uint8Array.of(GENDERS.get(input.gender ?? 'unspecified')!, 0, 0), // gender, eye colour, hair colour
    new Uint8Array(3 + 2 + 3 + 3), // feature mask, expression, pose angle, pose angle uncertainty
    Uint8Array.of(IMAGE_TYPES.get(input.faceImageType ?? 'full-frontal')!, ENCODINGS.get(info.encoding)!),
    uintBytes(info.width, 2),
    uintBytes(info.height, 2),
    Uint8Array.of(
      COLOUR_SPACES.get(input.colourSpace ?? 'unspecified')!,
      SOURCE_TYPES.get(input.sourceType ?? 'unspecified')!,
    ),
    uintBytes(0, 2), // device type: unspecified
    uintBytes(0, 2), // quality: unspecified
    input.image,
  );
}

export function encodeFaceRecord(images: readonly FaceImageInput[]): Uint8Array {
  if (images.length === 0) throw new LdsError('facial record: at least one image is needed');
  const blocks = images.map(faceBlock);
  const length = GENERAL_HEADER + blocks.reduce((n, b) => n + b.length, 0);
  return concatBytes(FORMAT_ID, VERSION, uintBytes(length, 4), uintBytes(images.length, 2), ...blocks);
}

function decodeFace(bytes: Uint8Array, offset: number, end: number): FaceImage {
  const featurePoints = readUint(bytes, offset + 4, 2);
  const imageInfo = offset + FACIAL_INFORMATION + featurePoints * FEATURE_POINT;
  const imageStart = imageInfo + IMAGE_INFORMATION;
  if (imageStart > end)
    throw new LdsError(`facial record: image at offset ${offset} is shorter than its headers`);
  return {
    gender: nameOf(GENDERS, bytes[offset + 6]!, 'gender'),
    featurePoints,
    faceImageType: nameOf(IMAGE_TYPES, bytes[imageInfo]!, 'face image type'),
    encoding: nameOf(ENCODINGS, bytes[imageInfo + 1]!, 'image data type'),
    width: readUint(bytes, imageInfo + 2, 2),
    height: readUint(bytes, imageInfo + 4, 2),
    colourSpace: nameOf(COLOUR_SPACES, bytes[imageInfo + 6]!, 'colour space'),
    sourceType: nameOf(SOURCE_TYPES, bytes[imageInfo + 7]!, 'source type'),
    image: bytes.subarray(imageStart, end),
  };
}

export function decodeFaceRecord(bytes: Uint8Array): FaceImage[] {
  if (bytes.length < GENERAL_HEADER) throw new LdsError('facial record: shorter than its header');
  if (!bytesEqual(bytes.subarray(0, 4), FORMAT_ID))
    throw new LdsError('facial record: format identifier is not FAC');
  if (!bytesEqual(bytes.subarray(4, 8), VERSION)) throw new LdsError('facial record: version is not 010');
  if (readUint(bytes, 8, 4) !== bytes.length) {
    throw new LdsError(
      `facial record: header says ${readUint(bytes, 8, 4)} bytes, block has ${bytes.length}`,
    );
  }
  const count = readUint(bytes, 12, 2);
  if (count === 0) throw new LdsError('facial record: no images');
  const faces: FaceImage[] = [];
  let offset = GENERAL_HEADER;
  for (let i = 0; i < count; i++) {
    if (offset + FACIAL_INFORMATION > bytes.length)
      throw new LdsError(`facial record: image ${i + 1} is missing`);
    const end = offset + readUint(bytes, offset, 4);
    if (end > bytes.length || end < offset + FACIAL_INFORMATION + IMAGE_INFORMATION) {
      throw new LdsError(`facial record: image ${i + 1} declares a length that does not fit`);
    }
    faces.push(decodeFace(bytes, offset, end));
    offset = end;
  }
  if (offset !== bytes.length)
    throw new LdsError(`facial record: ${bytes.length - offset} bytes after the last image`);
  return faces;
}
