/** Synthetic face images: portrait-like pixels as JPEG or PNG, for enrollment's captures and tests. */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/** RGBA pixels of something portrait-like: a lit oval face on a textured background, with shading. */
export function portraitPixels(width: number, height: number, seed = 1): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = (x - width / 2) / (width * 0.3);
      const dy = (y - height * 0.45) / (height * 0.33);
      const face = dx * dx + dy * dy < 1;
      const texture = ((x * 7 + y * 13 + seed * 31) % 23) - 11;
      const v = face ? 190 - 50 * dy + texture / 2 : 95 + texture;
      const at = (y * width + x) * 4;
      data[at] = Math.min(255, v + 20);
      data[at + 1] = v;
      data[at + 2] = Math.max(0, v - 25);
      data[at + 3] = 255;
    }
  }
  return data;
}

export function uniformPixels(width: number, height: number, value = 128): Uint8Array {
  return new Uint8Array(width * height * 4).fill(value);
}

export function jpegImage(width: number, height: number, pixels = portraitPixels(width, height)): Uint8Array {
  return new Uint8Array(jpeg.encode({ width, height, data: pixels }, 85).data);
}

/** A PNG of RGBA `pixels`, written in colour or (`grey`) as 8-bit greyscale. */
export function pngImage(
  width: number,
  height: number,
  pixels = portraitPixels(width, height),
  options: { grey?: boolean } = {},
): Uint8Array {
  const png = new PNG({ width, height });
  png.data = Buffer.from(pixels);
  return new Uint8Array(PNG.sync.write(png, options.grey ? { colorType: 0, inputColorType: 6 } : {}));
}
