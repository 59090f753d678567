/** Synthetic finger images as ISO/IEC 19794-4:2005 records (PNG prints of ridge patterns). */
import { pngImage } from './face.js';
import { seededRandom } from './fingerprints.js';

export type FingerImageCompression = 'uncompressed' | 'bit-packed' | 'wsq' | 'jpeg' | 'jpeg2000' | 'png';

const GENERAL_HEADER_BYTES = 32;
const IMAGE_HEADER_BYTES = 14;
/** "FIR\0" and "010\0". */
const FIR_IDENTIFIER = Uint8Array.of(0x46, 0x49, 0x52, 0x00);
const FIR_VERSION = Uint8Array.of(0x30, 0x31, 0x30, 0x00);

const COMPRESSION_CODES: Record<FingerImageCompression, number> = {
  uncompressed: 0,
  'bit-packed': 1,
  wsq: 2,
  jpeg: 3,
  jpeg2000: 4,
  png: 5,
};

export interface FingerImageInput {
  readonly position: number;
  readonly quality: number;
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** Writes an ISO/IEC 19794-4:2005 record (resolution in pixels per centimetre). */
export function encodeFingerImageRecord(
  images: readonly FingerImageInput[],
  options: { compression?: FingerImageCompression; resolution?: number; pixelDepth?: number } = {},
): Uint8Array {
  const length = GENERAL_HEADER_BYTES + images.reduce((n, i) => n + IMAGE_HEADER_BYTES + i.data.length, 0);
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  out.set(FIR_IDENTIFIER, 0);
  out.set(FIR_VERSION, 4);
  view.setUint16(8, Math.floor(length / 2 ** 32));
  view.setUint32(10, length % 2 ** 32);
  view.setUint16(14, 0x0a1);
  view.setUint16(16, 31);
  out[18] = images.length;
  out[19] = 2;
  const resolution = options.resolution ?? 197;
  for (const at of [20, 22, 24, 26]) view.setUint16(at, resolution);
  out[28] = options.pixelDepth ?? 8;
  out[29] = COMPRESSION_CODES[options.compression ?? 'png'];
  let at = GENERAL_HEADER_BYTES;
  for (const image of images) {
    view.setUint32(at, IMAGE_HEADER_BYTES + image.data.length);
    out[at + 4] = image.position;
    out[at + 5] = 1;
    out[at + 6] = 0;
    out[at + 7] = image.quality;
    out[at + 8] = 0;
    view.setUint16(at + 9, image.width);
    view.setUint16(at + 11, image.height);
    out.set(image.data, at + IMAGE_HEADER_BYTES);
    at += IMAGE_HEADER_BYTES + image.data.length;
  }
  return out;
}

/** Grey ridges: a wavy sinusoid whose direction and period come from the seed, like a fingertip. */
export function ridgePattern(width: number, height: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  const angle = random() * Math.PI;
  const period = 8 + random() * 3;
  const wave = 10 + random() * 20;
  const grey = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = x * Math.cos(angle) + y * Math.sin(angle) + wave * Math.sin(y / 37 + x / 53);
      grey[y * width + x] = Math.round(128 + 90 * Math.sin((2 * Math.PI * u) / period));
    }
  }
  return grey;
}

const rgba = (grey: Uint8Array) => {
  const out = new Uint8Array(grey.length * 4);
  grey.forEach((v, i) => out.set([v, v, v, 255], i * 4));
  return out;
};

/** A person's prints of the given fingers as PNG images in a 19794-4 record. */
export function fingerImageRecord(person: number, positions: readonly number[], size = 260): Uint8Array {
  return encodeFingerImageRecord(
    positions.map((position) => ({
      position,
      quality: 70,
      width: size,
      height: size,
      data: pngImage(size, size, rgba(ridgePattern(size, size, person * 100 + position)), { grey: true }),
    })),
  );
}
