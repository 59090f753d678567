import { inspectImage } from '@cancuoc/icao9303';
import { InvalidApplicationCommandError } from '../../domain/application/errors.js';
import type { DecodedImage } from '../../domain/biometrics/face-checks.js';
import type { ImageDecoder } from '../../application/ports.js';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { openJpeg } from './openjpeg.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export interface ImageLimits {
  /** Larger images are refused before decoding (a decompression bomb costs memory, not bytes). */
  readonly maxPixels: number;
}

const refuse = (reason: string, description: string) =>
  new InvalidApplicationCommandError([{ field: 'image', reason, description }]);

const unreadable = () =>
  refuse(
    'FACE_UNREADABLE',
    'the file is not a readable JPEG, PNG or JPEG 2000 image; capture or export it again',
  );

type Format = { mediaType: string; width: number; height: number };

function sniff(bytes: Uint8Array): Format {
  if (PNG_SIGNATURE.every((b, i) => bytes[i] === b)) {
    if (bytes.length < 24) throw unreadable();
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return { mediaType: 'image/png', width: view.getUint32(16), height: view.getUint32(20) };
  }
  try {
    const info = inspectImage(bytes);
    const mediaType = info.encoding === 'jpeg' ? 'image/jpeg' : bytes[0] === 0xff ? 'image/j2c' : 'image/jp2';
    return { mediaType, width: info.width, height: info.height };
  } catch {
    throw unreadable();
  }
}

/** One luminance byte per pixel (ITU-R BT.601 weights) from interleaved 8-bit samples. */
function luminance(samples: Uint8Array, pixels: number, channels: number): Uint8Array {
  const out = new Uint8Array(pixels);
  if (channels < 3) {
    for (let i = 0; i < pixels; i++) out[i] = samples[i * channels]!;
    return out;
  }
  for (let i = 0; i < pixels; i++) {
    const at = i * channels;
    out[i] = Math.round(0.299 * samples[at]! + 0.587 * samples[at + 1]! + 0.114 * samples[at + 2]!);
  }
  return out;
}

async function decodeJpeg2000(
  bytes: Uint8Array,
): Promise<{ width: number; height: number; luma: Uint8Array }> {
  const codec = await openJpeg();
  const decoder = new codec.J2KDecoder();
  try {
    decoder.getEncodedBuffer(bytes.length).set(bytes);
    decoder.decode();
    const frame = decoder.getFrameInfo();
    const decoded = decoder.getDecodedBuffer();
    const pixels = frame.width * frame.height;
    // Samples wider than 8 bits come as 16-bit words; their high byte is what a luminance check needs.
    const samples =
      frame.bitsPerSample > 8
        ? Uint8Array.from(
            new Uint16Array(
              decoded.buffer.slice(
                decoded.byteOffset,
                decoded.byteOffset + pixels * frame.componentCount * 2,
              ),
            ),
            (v) => v >> (frame.bitsPerSample - 8),
          )
        : decoded.slice(0, pixels * frame.componentCount);
    return {
      width: frame.width,
      height: frame.height,
      luma: luminance(samples, pixels, frame.componentCount),
    };
  } finally {
    decoder.delete();
  }
}

/**
 * Decodes portraits with pure-JavaScript and WebAssembly codecs (jpeg-js, pngjs, OpenJPEG), so the
 * service needs no native library. The size in the header is checked before any pixel is decoded.
 */
export class PortraitDecoder implements ImageDecoder {
  constructor(private readonly limits: ImageLimits = { maxPixels: 24_000_000 }) {}

  async decode(bytes: Uint8Array): Promise<DecodedImage> {
    const format = sniff(bytes);
    if (format.width === 0 || format.height === 0) throw unreadable();
    if (format.width * format.height > this.limits.maxPixels) {
      throw refuse(
        'FACE_TOO_LARGE',
        `the image is ${format.width} × ${format.height} pixels; at most ${this.limits.maxPixels} pixels are accepted — export it smaller`,
      );
    }
    try {
      if (format.mediaType === 'image/png') {
        const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        return { ...format, luminance: luminance(png.data, png.width * png.height, 4) };
      }
      if (format.mediaType === 'image/jpeg') {
        const image = jpeg.decode(bytes, {
          useTArray: true,
          formatAsRGBA: true,
          maxResolutionInMP: this.limits.maxPixels / 1_000_000,
          maxMemoryUsageInMB: 512,
        });
        return {
          ...format,
          width: image.width,
          height: image.height,
          luminance: luminance(image.data, image.width * image.height, 4),
        };
      }
      const j2k = await decodeJpeg2000(bytes);
      return { ...format, width: j2k.width, height: j2k.height, luminance: j2k.luma };
    } catch (error) {
      if (error instanceof InvalidApplicationCommandError) throw error;
      throw unreadable();
    }
  }
}
