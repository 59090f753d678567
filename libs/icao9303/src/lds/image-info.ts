import { bytesEqual, readUint } from '../bytes.js';
import { LdsError } from './errors.js';

/** The two image encodings Doc 9303 allows for the face in DG2. */
export type FaceImageEncoding = 'jpeg' | 'jpeg2000';

export interface ImageInfo {
  readonly encoding: FaceImageEncoding;
  readonly width: number;
  readonly height: number;
}

const JP2_SIGNATURE = Uint8Array.of(0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a);

/** SOF0–SOF15 carry the frame size; C4 (DHT), C8 (reserved) and CC (DAC) share the range but do not. */
const isStartOfFrame = (marker: number): boolean =>
  marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

function jpegInfo(bytes: Uint8Array): ImageInfo {
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) throw new LdsError(`JPEG: no marker at offset ${offset}`);
    const marker = bytes[offset + 1]!;
    if (marker === 0xff) {
      offset++; // fill byte before a marker
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2; // markers without a length
      continue;
    }
    if (marker === 0xda || marker === 0xd9) break; // scan data or end of image before any frame header
    const length = readUint(bytes, offset + 2, 2);
    if (isStartOfFrame(marker)) {
      if (length < 8 || offset + 2 + length > bytes.length) throw new LdsError('JPEG: frame header cut off');
      return {
        encoding: 'jpeg',
        height: readUint(bytes, offset + 5, 2),
        width: readUint(bytes, offset + 7, 2),
      };
    }
    offset += 2 + length;
  }
  throw new LdsError('JPEG: no frame header (SOF) found');
}

/** Raw JPEG 2000 codestream: SOC then SIZ, whose reference grid less its offset is the image size. */
function codestreamInfo(bytes: Uint8Array, offset: number): ImageInfo {
  if (readUint(bytes, offset, 2) !== 0xff4f || readUint(bytes, offset + 2, 2) !== 0xff51) {
    throw new LdsError('JPEG 2000: codestream does not start with SOC and SIZ');
  }
  const [xsiz, ysiz, xosiz, yosiz] = [8, 12, 16, 20].map((at) => readUint(bytes, offset + at, 4)) as [
    number,
    number,
    number,
    number,
  ];
  return { encoding: 'jpeg2000', width: xsiz - xosiz, height: ysiz - yosiz };
}

/** Walks the boxes in [start, end) and returns the offsets of the content of the first `type` box. */
function findBox(bytes: Uint8Array, start: number, end: number, type: string): [number, number] | undefined {
  for (let offset = start; offset + 8 <= end;) {
    let length = readUint(bytes, offset, 4);
    let header = 8;
    if (length === 1) {
      length = readUint(bytes, offset + 8, 8);
      header = 16;
    } else if (length === 0) length = end - offset;
    if (length < header || offset + length > end)
      throw new LdsError(`JPEG 2000: box at offset ${offset} is cut off`);
    const boxType = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    if (boxType === type) return [offset + header, offset + length];
    offset += length;
  }
  return undefined;
}

function jp2Info(bytes: Uint8Array): ImageInfo {
  const header = findBox(bytes, 0, bytes.length, 'jp2h');
  const ihdr = header && findBox(bytes, header[0], header[1], 'ihdr');
  if (!ihdr || ihdr[1] - ihdr[0] < 8) throw new LdsError('JPEG 2000: no image header box');
  return {
    encoding: 'jpeg2000',
    height: readUint(bytes, ihdr[0], 4),
    width: readUint(bytes, ihdr[0] + 4, 4),
  };
}

/**
 * Encoding and size of a face image, read from the image itself so that the ISO/IEC 19794-5
 * header can never disagree with the picture it carries.
 */
export function inspectImage(bytes: Uint8Array): ImageInfo {
  try {
    if (bytes[0] === 0xff && bytes[1] === 0xd8) return jpegInfo(bytes);
    if (bytes.length >= 12 && bytesEqual(bytes.subarray(0, 12), JP2_SIGNATURE)) return jp2Info(bytes);
    if (bytes[0] === 0xff && bytes[1] === 0x4f) return codestreamInfo(bytes, 0);
  } catch (error) {
    if (error instanceof RangeError) throw new LdsError(`image is cut off: ${error.message}`);
    throw error;
  }
  throw new LdsError('the face image is neither JPEG nor JPEG 2000');
}
