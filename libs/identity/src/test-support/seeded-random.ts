/**
 * A small deterministic generator (mulberry32) for property-style tests: a failing case can be
 * replayed from its seed, which `Math.random` does not allow.
 */
export function seededRandom(seed: number): { next(): number; int(exclusiveMax: number): number } {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return { next, int: (exclusiveMax) => Math.floor(next() * exclusiveMax) };
}
