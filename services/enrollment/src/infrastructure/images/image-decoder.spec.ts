import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidApplicationCommandError } from '../../domain/application/errors.js';
import { assessFace } from '../../domain/biometrics/face-checks.js';
import { jpegImage, pngImage, uniformPixels } from '@cancuoc/synthetic';
import { jpeg2000Image } from '../../test-support/images.js';
import { PortraitDecoder } from './image-decoder.js';

const decoder = new PortraitDecoder({ maxPixels: 2_000_000 });

async function refusal(bytes: Uint8Array): Promise<string> {
  try {
    await decoder.decode(bytes);
  } catch (error) {
    assert.ok(error instanceof InvalidApplicationCommandError, String(error));
    return error.violations[0]!.reason;
  }
  assert.fail('the image was accepted');
}

describe('portrait decoding', () => {
  it('decodes JPEG, PNG and JPEG 2000 to their size and a picture that passes the face checks', async () => {
    for (const [bytes, mediaType] of [
      [jpegImage(480, 640), 'image/jpeg'],
      [pngImage(480, 640), 'image/png'],
      [await jpeg2000Image(480, 640), 'image/j2c'],
    ] as const) {
      const image = await decoder.decode(bytes);
      assert.equal(image.mediaType, mediaType);
      assert.equal(image.width, 480);
      assert.equal(image.height, 640);
      assert.equal(image.luminance.length, 480 * 640);
      assert.deepEqual(assessFace(image), [], mediaType);
    }
  });

  it('finds a blank frame blank, whatever the format', async () => {
    const image = await decoder.decode(pngImage(480, 640, uniformPixels(480, 640, 30)));
    assert.deepEqual(
      assessFace(image).map((v) => v.reason),
      ['FACE_BLANK'],
    );
  });

  it('refuses what is not a readable image, and a huge one before decoding it', async () => {
    const jpeg = jpegImage(480, 640);
    assert.equal(await refusal(jpeg.subarray(0, 300)), 'FACE_UNREADABLE');
    assert.equal(await refusal(new TextEncoder().encode('GIF89a not a portrait at all')), 'FACE_UNREADABLE');
    const png = pngImage(480, 640);
    const corrupt = png.slice();
    corrupt.fill(0x55, 60, 400);
    assert.equal(await refusal(corrupt), 'FACE_UNREADABLE');
    const huge = png.slice();
    new DataView(huge.buffer).setUint32(16, 40_000);
    assert.equal(await refusal(huge), 'FACE_TOO_LARGE');
  });
});
