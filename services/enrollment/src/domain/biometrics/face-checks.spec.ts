import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assessFace, type DecodedImage } from './face-checks.js';

function image(width: number, height: number, pixel: (x: number, y: number) => number): DecodedImage {
  const luminance = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) luminance[y * width + x] = pixel(x, y);
  return { mediaType: 'image/png', width, height, luminance };
}

/** Something face-like: a bright oval on a mid-grey background, with shading. */
const portrait = (width: number, height: number, gain = 1, offset = 0) =>
  image(width, height, (x, y) => {
    const dx = (x - width / 2) / (width * 0.3);
    const dy = (y - height / 2) / (height * 0.35);
    const inside = dx * dx + dy * dy < 1;
    return Math.max(0, Math.min(255, Math.round((inside ? 170 - 40 * dy : 90 + (x % 17)) * gain + offset)));
  });

const reasons = (img: DecodedImage) => assessFace(img).map((v) => v.reason);

describe('face capture checks', () => {
  it('accepts a well-exposed 3:4 portrait', () => assert.deepEqual(assessFace(portrait(480, 640)), []));

  it('refuses a small, a landscape, a blank, a dark and a bright image, each with what to do', () => {
    assert.deepEqual(reasons(portrait(120, 160)), ['FACE_TOO_SMALL']);
    assert.deepEqual(reasons(portrait(640, 480)), ['FACE_ASPECT_RATIO']);
    assert.deepEqual(reasons(image(480, 640, () => 128)), ['FACE_BLANK']);
    assert.deepEqual(reasons(portrait(480, 640, 1, -100)), ['FACE_UNDEREXPOSED']);
    assert.deepEqual(reasons(portrait(480, 640, 1, 110)), ['FACE_OVEREXPOSED']);
    const [small] = assessFace(portrait(120, 160));
    assert.match(small!.description, /120 × 160 pixels; at least 240 × 320/);
  });
});
