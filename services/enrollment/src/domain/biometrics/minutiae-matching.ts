import type { FingerView, Minutia } from './iso19794-2.js';

/**
 * Fingerprint comparison by minutiae pairing, the way minutiae matchers align two impressions: a
 * Hough vote over the rotation and translation that would carry one print onto the other (each
 * pair of minutiae votes for the transform that superimposes them), then, for the best-voted
 * transforms, a one-to-one pairing of minutiae that land within a distance and angle tolerance.
 * The score is n² / (|probe| · |reference|) for n paired minutiae: 1 for the same impression, near
 * 0 for two unrelated fingers, and robust to a finger placed shifted, turned, or with some
 * minutiae missed or spurious.
 */
export interface MatchingParameters {
  /** Paired minutiae lie within this distance after alignment, in pixels at 500 ppi. */
  readonly distanceTolerance: number;
  /** …and their directions within this many degrees. */
  readonly angleToleranceDegrees: number;
  /** Placements turned further than this are not considered. */
  readonly maxRotationDegrees: number;
  /** Best-voted transforms tried in the pairing step. */
  readonly transformsTried: number;
  /** A finger scoring this or more matches. */
  readonly fingerThreshold: number;
  /** A person is a candidate with this many matching fingers (or all compared, if fewer)… */
  readonly minMatchingFingers: number;
  /** …or with one finger scoring this or more. */
  readonly strongFingerThreshold: number;
  /**
   * Screening: the best-quality fingers compared first; when none of them scores this much, the
   * person is not compared further. Unrelated fingers score near 0 and second impressions far above
   * the finger threshold, so this spares most of the work of a 1:N search.
   */
  readonly screeningFingers: number;
  readonly screeningThreshold: number;
}

export const DEFAULT_MATCHING: MatchingParameters = {
  distanceTolerance: 14,
  angleToleranceDegrees: 22,
  maxRotationDegrees: 45,
  transformsTried: 6,
  fingerThreshold: 0.3,
  minMatchingFingers: 2,
  strongFingerThreshold: 0.6,
  screeningFingers: 3,
  screeningThreshold: 0.12,
};

/** 500 ppi in pixels per centimetre: the scale tolerances are given in. */
const REFERENCE_RESOLUTION = 197;

export interface Point {
  readonly x: number;
  readonly y: number;
  readonly theta: number;
  /** The recorded angle, 0–255 units of 360/256 degrees. */
  readonly units: number;
}

/** Rotations between recorded angles are whole units, so their sines and cosines are a table. */
const UNIT = (2 * Math.PI) / 256;
const COS = Float64Array.from({ length: 256 }, (_, u) => Math.cos(u * UNIT));
const SIN = Float64Array.from({ length: 256 }, (_, u) => Math.sin(u * UNIT));

/** Into a y-up frame in 500-ppi pixels, where the record's counter-clockwise angles are rotations. */
export function points(minutiae: readonly Minutia[], resolution: number): Point[] {
  const scale = REFERENCE_RESOLUTION / resolution;
  return minutiae.map((m) => ({ x: m.x * scale, y: -m.y * scale, theta: m.angle * UNIT, units: m.angle }));
}

const wrap = (a: number) => Math.atan2(Math.sin(a), Math.cos(a));

interface Transform {
  readonly rotation: number;
  readonly dx: number;
  readonly dy: number;
}

function votedTransforms(probe: Point[], reference: Point[], p: MatchingParameters): Transform[] {
  const maxUnits = Math.floor((p.maxRotationDegrees * 256) / 360);
  const bins = new Map<number, { votes: number; rotation: number; dx: number; dy: number }>();
  for (const a of probe) {
    for (const b of reference) {
      const turn = (b.units - a.units + 256) % 256;
      const signed = turn > 128 ? turn - 256 : turn;
      if (Math.abs(signed) > maxUnits) continue;
      const rotation = signed * UNIT;
      const cos = COS[turn]!;
      const sin = SIN[turn]!;
      const dx = b.x - (a.x * cos - a.y * sin);
      const dy = b.y - (a.x * sin + a.y * cos);
      // One number per bin: rotation bins span ±32, translation bins ±2048 (far beyond any print).
      const key =
        (Math.round(signed / 4) + 64) * 16_777_216 +
        (Math.round(dx / p.distanceTolerance) + 2048) * 4096 +
        (Math.round(dy / p.distanceTolerance) + 2048);
      const bin = bins.get(key) ?? { votes: 0, rotation: 0, dx: 0, dy: 0 };
      bin.votes += 1;
      bin.rotation += rotation;
      bin.dx += dx;
      bin.dy += dy;
      bins.set(key, bin);
    }
  }
  return [...bins.values()]
    .sort((x, y) => y.votes - x.votes)
    .slice(0, p.transformsTried)
    .map((bin) => ({ rotation: bin.rotation / bin.votes, dx: bin.dx / bin.votes, dy: bin.dy / bin.votes }));
}

function pairedUnder(t: Transform, probe: Point[], reference: Point[], p: MatchingParameters): number {
  const cos = Math.cos(t.rotation);
  const sin = Math.sin(t.rotation);
  const angleTolerance = (p.angleToleranceDegrees * Math.PI) / 180;
  const close: Array<{ i: number; j: number; d: number }> = [];
  probe.forEach((a, i) => {
    const x = a.x * cos - a.y * sin + t.dx;
    const y = a.x * sin + a.y * cos + t.dy;
    const theta = a.theta + t.rotation;
    reference.forEach((b, j) => {
      const ex = b.x - x;
      const ey = b.y - y;
      if (Math.abs(ex) > p.distanceTolerance || Math.abs(ey) > p.distanceTolerance) return;
      const d = Math.hypot(ex, ey);
      if (d <= p.distanceTolerance && Math.abs(wrap(b.theta - theta)) <= angleTolerance)
        close.push({ i, j, d });
    });
  });
  close.sort((u, v) => u.d - v.d);
  const usedProbe = new Set<number>();
  const usedReference = new Set<number>();
  for (const { i, j } of close) {
    if (usedProbe.has(i) || usedReference.has(j)) continue;
    usedProbe.add(i);
    usedReference.add(j);
  }
  return usedProbe.size;
}

/** The similarity of two impressions, 0 to 1. */
export function fingerScore(
  probe: { readonly view: FingerView; readonly resolution: number },
  reference: { readonly view: FingerView; readonly resolution: number },
  parameters: MatchingParameters = DEFAULT_MATCHING,
): number {
  const a = points(probe.view.minutiae, probe.resolution);
  const b = points(reference.view.minutiae, reference.resolution);
  if (a.length === 0 || b.length === 0) return 0;
  let best = 0;
  for (const transform of votedTransforms(a, b, parameters)) {
    best = Math.max(best, pairedUnder(transform, a, b, parameters));
  }
  return (best * best) / (a.length * b.length);
}

export interface PersonComparison {
  readonly bestScore: number;
  readonly matchingFingers: number;
  readonly fingersCompared: number;
  readonly candidate: boolean;
}

/** A ten-print against another, finger by finger (same finger position only). */
export function compareTenPrints(
  probe: { readonly views: readonly FingerView[]; readonly resolution: number },
  reference: { readonly views: readonly FingerView[]; readonly resolution: number },
  parameters: MatchingParameters = DEFAULT_MATCHING,
): PersonComparison {
  const pairs = probe.views
    .map((view) => ({ view, other: reference.views.find((r) => r.position === view.position) }))
    .filter((pair): pair is { view: FingerView; other: FingerView } => pair.other !== undefined)
    .sort((a, b) => Math.min(b.view.quality, b.other.quality) - Math.min(a.view.quality, a.other.quality));
  let bestScore = 0;
  let matchingFingers = 0;
  for (const [index, { view, other }] of pairs.entries()) {
    if (index === parameters.screeningFingers && bestScore < parameters.screeningThreshold) break;
    const score = fingerScore(
      { view, resolution: probe.resolution },
      { view: other, resolution: reference.resolution },
      parameters,
    );
    bestScore = Math.max(bestScore, score);
    if (score >= parameters.fingerThreshold) matchingFingers++;
  }
  const fingersCompared = pairs.length;
  const needed = Math.min(parameters.minMatchingFingers, fingersCompared);
  const candidate =
    fingersCompared > 0 && (matchingFingers >= needed || bestScore >= parameters.strongFingerThreshold);
  return { bestScore, matchingFingers, fingersCompared, candidate };
}
