import { portraitPixels } from '@cancuoc/synthetic';
import { openJpeg } from '../infrastructure/images/openjpeg.js';

/** A JPEG 2000 codestream (what ISO/IEC 19794-5 puts in DG2), greyscale, encoded by OpenJPEG. */
export async function jpeg2000Image(width: number, height: number, pixels = portraitPixels(width, height)) {
  const codec = await openJpeg();
  const encoder = new codec.J2KEncoder();
  try {
    const input = encoder.getDecodedBuffer({
      width,
      height,
      bitsPerSample: 8,
      componentCount: 1,
      isSigned: false,
    });
    for (let i = 0; i < width * height; i++) input[i] = pixels[i * 4 + 1]!;
    encoder.encode();
    return encoder.getEncodedBuffer().slice();
  } finally {
    encoder.delete();
  }
}
