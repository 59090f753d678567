import { asciiBytes, concatBytes, uintBytes } from '../bytes.js';

/**
 * Small images with real container structure (markers, boxes, size fields) for the DG2 tests.
 * Their pixel data is filler: the LDS code reads headers only, never decodes pixels.
 */

const segment = (marker: number, body: Uint8Array): Uint8Array =>
  concatBytes(Uint8Array.of(0xff, marker), uintBytes(body.length + 2, 2), body);

export function jpegImage(width: number, height: number): Uint8Array {
  return concatBytes(
    Uint8Array.of(0xff, 0xd8),
    segment(0xe0, concatBytes(asciiBytes('JFIF\0'), Uint8Array.of(1, 1, 0, 0, 1, 0, 1, 0, 0))),
    segment(0xdb, concatBytes(Uint8Array.of(0), new Uint8Array(64).fill(1))),
    // SOF0: precision, height, width, one greyscale component.
    segment(
      0xc0,
      concatBytes(Uint8Array.of(8), uintBytes(height, 2), uintBytes(width, 2), Uint8Array.of(1, 1, 0x11, 0)),
    ),
    segment(0xda, Uint8Array.of(1, 1, 0, 0, 0x3f, 0)),
    Uint8Array.of(0x12, 0x34, 0x56, 0x78),
    Uint8Array.of(0xff, 0xd9),
  );
}

/** A raw JPEG 2000 codestream: SOC, then SIZ with the reference grid and a non-zero offset. */
export function j2kCodestream(width: number, height: number): Uint8Array {
  const offset = 2;
  return concatBytes(
    Uint8Array.of(0xff, 0x4f, 0xff, 0x51),
    uintBytes(41, 2),
    uintBytes(0, 2),
    uintBytes(width + offset, 4),
    uintBytes(height + offset, 4),
    uintBytes(offset, 4),
    uintBytes(offset, 4),
    uintBytes(width + offset, 4),
    uintBytes(height + offset, 4),
    uintBytes(0, 4),
    uintBytes(0, 4),
    uintBytes(1, 2),
    Uint8Array.of(7, 1, 1),
    Uint8Array.of(0xff, 0xd9),
  );
}

const box = (type: string, body: Uint8Array): Uint8Array =>
  concatBytes(uintBytes(body.length + 8, 4), asciiBytes(type), body);

/** A JP2 file: signature box, file type box, a header box with its image header, the codestream. */
export function jp2Image(width: number, height: number): Uint8Array {
  return concatBytes(
    box('jP  ', Uint8Array.of(0x0d, 0x0a, 0x87, 0x0a)),
    box('ftyp', concatBytes(asciiBytes('jp2 '), uintBytes(0, 4), asciiBytes('jp2 '))),
    box(
      'jp2h',
      box('ihdr', concatBytes(uintBytes(height, 4), uintBytes(width, 4), Uint8Array.of(0, 1, 7, 7, 0, 0))),
    ),
    box('jp2c', j2kCodestream(width, height)),
  );
}
