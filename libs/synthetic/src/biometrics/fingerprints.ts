/**
 * Synthetic fingerprints as ISO/IEC 19794-2:2005 minutiae records: the templates `cancuoc demo`
 * captures and the ones enrollment's parser and matcher are tested against. The writer is written
 * from the standard, not from the parser, so a test of one against the other can fail.
 */
import { seededRandom } from '../random.js';

export { seededRandom };

export type MinutiaType = 'other' | 'ridge-ending' | 'bifurcation';

export interface Minutia {
  readonly type: MinutiaType;
  /** Pixels from the left edge. */
  readonly x: number;
  /** Pixels from the top edge. */
  readonly y: number;
  /** Units of 360/256 degrees, 0–255, counter-clockwise from the x axis. */
  readonly angle: number;
  readonly quality: number;
}

export interface FingerView {
  /** 1–10: right thumb … left little finger. */
  readonly position: number;
  readonly viewNumber: number;
  readonly impressionType: number;
  readonly quality: number;
  readonly minutiae: readonly Minutia[];
  readonly extendedData: readonly { readonly typeId: number; readonly data: Uint8Array }[];
}

export interface MinutiaeRecord {
  readonly certificationFlags: number;
  readonly captureDeviceType: number;
  readonly width: number;
  readonly height: number;
  /** Pixels per centimetre (197 is 500 ppi). */
  readonly resolutionX: number;
  readonly resolutionY: number;
  readonly views: readonly FingerView[];
}

const RECORD_HEADER_BYTES = 24;
const VIEW_HEADER_BYTES = 4;
const MINUTIA_BYTES = 6;
/** "FMR\0" and " 20\0". */
const FORMAT_IDENTIFIER = Uint8Array.of(0x46, 0x4d, 0x52, 0x00);
const VERSION_2005 = Uint8Array.of(0x20, 0x32, 0x30, 0x00);

/** Writes an ISO/IEC 19794-2:2005 record: the generator the parser is tested against. */
export function encodeMinutiaeRecord(record: MinutiaeRecord): Uint8Array {
  const viewBytes = (v: FingerView) =>
    VIEW_HEADER_BYTES +
    v.minutiae.length * MINUTIA_BYTES +
    2 +
    v.extendedData.reduce((n, a) => n + 4 + a.data.length, 0);
  const length = RECORD_HEADER_BYTES + record.views.reduce((n, v) => n + viewBytes(v), 0);
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  out.set(FORMAT_IDENTIFIER, 0);
  out.set(VERSION_2005, 4);
  view.setUint32(8, length);
  view.setUint16(12, (record.certificationFlags << 12) | record.captureDeviceType);
  view.setUint16(14, record.width);
  view.setUint16(16, record.height);
  view.setUint16(18, record.resolutionX);
  view.setUint16(20, record.resolutionY);
  out[22] = record.views.length;
  let at = RECORD_HEADER_BYTES;
  for (const v of record.views) {
    out[at] = v.position;
    out[at + 1] = (v.viewNumber << 4) | v.impressionType;
    out[at + 2] = v.quality;
    out[at + 3] = v.minutiae.length;
    at += VIEW_HEADER_BYTES;
    for (const m of v.minutiae) {
      const type = m.type === 'ridge-ending' ? 1 : m.type === 'bifurcation' ? 2 : 0;
      view.setUint16(at, (type << 14) | m.x);
      view.setUint16(at + 2, m.y);
      out[at + 4] = m.angle;
      out[at + 5] = m.quality;
      at += MINUTIA_BYTES;
    }
    const extended = v.extendedData.reduce((n, a) => n + 4 + a.data.length, 0);
    view.setUint16(at, extended);
    at += 2;
    for (const area of v.extendedData) {
      view.setUint16(at, area.typeId);
      view.setUint16(at + 2, area.data.length + 4);
      out.set(area.data, at + 4);
      at += 4 + area.data.length;
    }
  }
  return out;
}

export const IMAGE_WIDTH = 400;
export const IMAGE_HEIGHT = 500;

/** One synthetic finger: minutiae spread over the print area, at least 12 pixels apart. */
export function syntheticFinger(random: () => number, count = 45): Minutia[] {
  const out: Minutia[] = [];
  while (out.length < count) {
    const x = Math.floor(60 + random() * (IMAGE_WIDTH - 120));
    const y = Math.floor(60 + random() * (IMAGE_HEIGHT - 120));
    // Integer coordinates: the squared distance against 144 decides exactly as the distance against 12.
    let crowded = false;
    for (let i = 0; i < out.length && !crowded; i++) {
      const dx = out[i]!.x - x;
      const dy = out[i]!.y - y;
      crowded = dx * dx + dy * dy < 144;
    }
    if (crowded) continue;
    out.push({
      type: random() < 0.5 ? 'ridge-ending' : 'bifurcation',
      x,
      y,
      angle: Math.floor(random() * 256),
      quality: 60 + Math.floor(random() * 40),
    });
  }
  return out;
}

export interface Placement {
  /** Degrees, counter-clockwise. */
  readonly rotation: number;
  readonly dx: number;
  readonly dy: number;
  /** Pixels of noise on each minutia's position, and units (1.4°) on its angle. */
  readonly jitter: number;
  readonly angleJitter: number;
  /** Share of minutiae the scanner misses, and of spurious ones it adds. */
  readonly dropped: number;
  readonly spurious: number;
}

/**
 * The same finger placed again: turned and shifted about the print's centre, with noise, some
 * minutiae lost and some false ones found — what a second impression of one finger looks like.
 */
export function replace(minutiae: readonly Minutia[], random: () => number, placement: Placement): Minutia[] {
  const turn = (placement.rotation * Math.PI) / 180;
  const cx = IMAGE_WIDTH / 2;
  const cy = IMAGE_HEIGHT / 2;
  const noise = (amount: number) => (random() * 2 - 1) * amount;
  const moved: Minutia[] = [];
  for (const m of minutiae) {
    if (random() < placement.dropped) continue;
    // Rotations are counter-clockwise on the page: in a y-up frame, around the print's centre.
    const ux = m.x - cx;
    const uy = cy - m.y;
    const rx = ux * Math.cos(turn) - uy * Math.sin(turn);
    const ry = ux * Math.sin(turn) + uy * Math.cos(turn);
    const x = Math.round(cx + rx + placement.dx + noise(placement.jitter));
    const y = Math.round(cy - ry + placement.dy + noise(placement.jitter));
    if (x < 0 || y < 0 || x >= IMAGE_WIDTH || y >= IMAGE_HEIGHT) continue;
    const angle =
      (((m.angle + Math.round((turn * 256) / (2 * Math.PI)) + Math.round(noise(placement.angleJitter))) %
        256) +
        256) %
      256;
    moved.push({ ...m, x, y, angle });
  }
  const extra = Math.round(minutiae.length * placement.spurious);
  return [...moved, ...syntheticFinger(random, extra)].slice(0, 255);
}

/**
 * A person's ten fingers as synthetic minutiae. `upTo` stops after that finger position: the
 * fingers before it are the same as in the whole ten-print (a gallery of millions indexing a few
 * fingers need not make all ten).
 */
export function syntheticPerson(seed: number, minutiaePerFinger = 45, upTo = 10): Map<number, Minutia[]> {
  const random = seededRandom(seed);
  const fingers = new Map<number, Minutia[]>();
  for (let position = 1; position <= upTo; position++)
    fingers.set(position, syntheticFinger(random, minutiaePerFinger));
  return fingers;
}

/** A 500-ppi ten-print record of these fingers (positions absent from the map are left out). */
export function tenPrintRecord(fingers: ReadonlyMap<number, readonly Minutia[]>, quality = 80): Uint8Array {
  return encodeMinutiaeRecord(tenPrint(fingers, quality));
}

export function tenPrint(fingers: ReadonlyMap<number, readonly Minutia[]>, quality = 80): MinutiaeRecord {
  return {
    certificationFlags: 0,
    captureDeviceType: 0x0a1,
    width: IMAGE_WIDTH,
    height: IMAGE_HEIGHT,
    resolutionX: 197,
    resolutionY: 197,
    views: [...fingers.entries()]
      .sort(([a], [b]) => a - b)
      .map(([position, minutiae]) => ({
        position,
        viewNumber: 0,
        impressionType: 0,
        quality,
        minutiae,
        extendedData: [],
      })),
  };
}

/** Another impression of every finger of a person: a near-identical template. */
export function reimpressed(
  fingers: ReadonlyMap<number, readonly Minutia[]>,
  seed: number,
  placement: Placement,
): Map<number, Minutia[]> {
  const random = seededRandom(seed);
  return new Map([...fingers.entries()].map(([p, m]) => [p, replace(m, random, placement)]));
}
