/**
 * Real bytes for an enrollment, made here: a baseline JPEG portrait and an ISO/IEC 19794-2:2005
 * ten-print minutiae record. Enrollment's own generators live in its test support, which its
 * package does not export; these are the least of them that enrollment's checks accept.
 */
import jpeg from 'jpeg-js';

/** A 480 × 640 JPEG of something portrait-like: a lit oval face on a textured background. */
export function portraitJpeg(width = 480, height = 640, seed = 1): Uint8Array {
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
  return new Uint8Array(jpeg.encode({ width, height, data }, 85).data);
}

/** mulberry32: reproducible, so a failing run replays. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const WIDTH = 400;
const HEIGHT = 500;
const RECORD_HEADER = 24;
const VIEW_HEADER = 4;
const MINUTIA = 6;

/**
 * Ten fingers of synthetic minutiae (45 each, at least 12 pixels apart) as an ISO/IEC 19794-2:2005
 * finger minutiae record at 500 ppi (197 pixels per cm).
 */
export function tenPrintRecord(seed: number, perFinger = 45): Uint8Array {
  const random = seededRandom(seed);
  const fingers: { x: number; y: number; type: number; angle: number; quality: number }[][] = [];
  for (let position = 1; position <= 10; position++) {
    const minutiae: (typeof fingers)[number] = [];
    while (minutiae.length < perFinger) {
      const x = Math.floor(60 + random() * (WIDTH - 120));
      const y = Math.floor(60 + random() * (HEIGHT - 120));
      if (minutiae.some((m) => Math.hypot(m.x - x, m.y - y) < 12)) continue;
      minutiae.push({
        x,
        y,
        type: random() < 0.5 ? 1 : 2,
        angle: Math.floor(random() * 256),
        quality: 60 + Math.floor(random() * 40),
      });
    }
    fingers.push(minutiae);
  }
  const length = RECORD_HEADER + fingers.reduce((n, f) => n + VIEW_HEADER + f.length * MINUTIA + 2, 0);
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  out.set([0x46, 0x4d, 0x52, 0x00], 0); // "FMR\0"
  out.set([0x20, 0x32, 0x30, 0x00], 4); // " 20\0": the 2005 edition
  view.setUint32(8, length);
  view.setUint16(12, 0x0a1); // no certification, capture device type
  view.setUint16(14, WIDTH);
  view.setUint16(16, HEIGHT);
  view.setUint16(18, 197);
  view.setUint16(20, 197);
  out[22] = fingers.length;
  let at = RECORD_HEADER;
  fingers.forEach((minutiae, i) => {
    out[at] = i + 1; // finger position
    out[at + 1] = 0; // view 0, live-scan plain
    out[at + 2] = 80; // quality
    out[at + 3] = minutiae.length;
    at += VIEW_HEADER;
    for (const m of minutiae) {
      view.setUint16(at, (m.type << 14) | m.x);
      view.setUint16(at + 2, m.y);
      out[at + 4] = m.angle;
      out[at + 5] = m.quality;
      at += MINUTIA;
    }
    view.setUint16(at, 0); // no extended data
    at += 2;
  });
  return out;
}
