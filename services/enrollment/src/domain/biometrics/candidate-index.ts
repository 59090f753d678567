import { createCipheriv } from 'node:crypto';
import type { FingerView } from './iso19794-2.js';
import { points, type Point } from './minutiae-matching.js';

/**
 * Candidate selection for the 1:N duplicate check, so that a search does not compare the probe
 * with every enrolled person: an inverted index over minutia triplets, after the triangle-based
 * fingerprint indexing of Germain, Glover and Prokoski ("Fingerprint matching using transformation
 * parameter clustering", IEEE Computational Science & Engineering 4(4), 1997) and Bhanu and Tan
 * ("Fingerprint indexing based on novel features of minutiae triplets", IEEE TPAMI 25(5), 2003).
 *
 * Each minutia and pairs of its nearest neighbours form a triangle. A triangle's shape — its
 * three side lengths, largest first — and the direction of each of its minutiae relative to its
 * longest side do not change when the finger is placed turned or shifted; quantised into bins
 * they make a key, one per triangle, under which the person is filed (geometric hashing: the
 * key names the bucket). A probe looks its own triangles up, each triangle voting once for every
 * person filed under one of its keys; a second impression of an enrolled finger shares many
 * triangles with it (those whose three minutiae were found again), an unrelated finger a few by
 * chance, so the most-voted people are the few worth a full comparison. Measurement noise moves
 * a feature across a bin edge: the probe also looks up the neighbouring bin of a feature that lies
 * near an edge, and the other vertex orders of a triangle whose sides are nearly equal (the
 * gallery files each triangle once, so the index holds one key per triangle).
 *
 * Index keys are derived biometric data. They are filed as a keyed pseudorandom function of the
 * quantised feature (`FeatureKeys`), so a copy of the index without that key does not tell which
 * shapes a person's fingers have.
 */
export interface IndexingParameters {
  /** Fingers indexed per person (the first of `preferredFingers` the record has). */
  readonly fingers: number;
  /** Finger positions in order of preference: index fingers and thumbs first, as AFIS do. */
  readonly preferredFingers: readonly number[];
  /** Triangles are a minutia with pairs of its this-many nearest neighbours. */
  readonly neighbours: number;
  /** Neighbours further than this (pixels at 500 ppi) are not used. */
  readonly maxSide: number;
  /** Side lengths are binned this wide (pixels), with this many bins (the last open-ended)… */
  readonly sideBin: number;
  readonly sideBins: number;
  /** …and directions into this many bins of the circle. */
  readonly angleBins: number;
  /** A probe feature this close to a bin edge is also looked up in the next bin. */
  readonly sideMargin: number;
  readonly angleMarginDegrees: number;
  /** At most this many candidates a search compares in full… */
  readonly candidates: number;
  /** …each with at least this many triangle votes. */
  readonly minVotes: number;
}

export const DEFAULT_INDEXING: IndexingParameters = {
  fingers: 4,
  preferredFingers: [2, 7, 1, 6, 3, 8, 4, 9, 5, 10],
  neighbours: 2,
  maxSide: 160,
  sideBin: 8,
  sideBins: 24,
  angleBins: 16,
  sideMargin: 2,
  angleMarginDegrees: 6,
  candidates: 10,
  minVotes: 6,
};

const TURN = 2 * Math.PI;

interface Shape {
  /** Vertices ordered by the length of the side opposite, longest first. */
  readonly order: readonly [Point, Point, Point];
  readonly sides: readonly [number, number, number];
}

/** The fingers indexed for a record: the same choice for a probe and for the gallery. */
export function indexedViews(
  views: readonly FingerView[],
  parameters: IndexingParameters = DEFAULT_INDEXING,
): FingerView[] {
  const chosen: FingerView[] = [];
  for (const position of parameters.preferredFingers) {
    const view = views.find((v) => v.position === position && v.minutiae.length >= 3);
    if (view) chosen.push(view);
    if (chosen.length === parameters.fingers) break;
  }
  return chosen;
}

/** Each minutia with pairs of its nearest neighbours, each triangle once. */
function triangles(pts: readonly Point[], parameters: IndexingParameters): Array<[Point, Point, Point]> {
  const seen = new Set<number>();
  const out: Array<[Point, Point, Point]> = [];
  const n = pts.length;
  const k = parameters.neighbours;
  const limit = parameters.maxSide * parameters.maxSide;
  // The k nearest, kept in order by insertion (k is small): squared distances and indices.
  const nearD = new Float64Array(k);
  const nearJ = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    const a = pts[i]!;
    let found = 0;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const dx = pts[j]!.x - a.x;
      const dy = pts[j]!.y - a.y;
      const d = dx * dx + dy * dy;
      if (d > limit || (found === k && d >= nearD[k - 1]!)) continue;
      let at = found < k ? found++ : k - 1;
      while (at > 0 && nearD[at - 1]! > d) {
        nearD[at] = nearD[at - 1]!;
        nearJ[at] = nearJ[at - 1]!;
        at--;
      }
      nearD[at] = d;
      nearJ[at] = j;
    }
    for (let u = 0; u < found; u++) {
      for (let v = u + 1; v < found; v++) {
        const [x, y, z] = [i, nearJ[u]!, nearJ[v]!].sort((p, q) => p - q) as [number, number, number];
        const id = (x * 256 + y) * 256 + z;
        if (seen.has(id)) continue;
        seen.add(id);
        out.push([pts[x]!, pts[y]!, pts[z]!]);
      }
    }
  }
  return out;
}

const distance = (a: Point, b: Point) => Math.hypot(a.x - b.x, a.y - b.y);

/** Vertex orders of a triangle: the canonical one, or every one its side lengths could have. */
function shapes(t: readonly [Point, Point, Point], tolerance: number): Shape[] {
  const opposite = [distance(t[1], t[2]), distance(t[0], t[2]), distance(t[0], t[1])];
  const permutations: Array<[number, number, number]> =
    tolerance === 0
      ? [[0, 1, 2].sort((p, q) => opposite[q]! - opposite[p]! || p - q) as [number, number, number]]
      : [
          [0, 1, 2],
          [0, 2, 1],
          [1, 0, 2],
          [1, 2, 0],
          [2, 0, 1],
          [2, 1, 0],
        ];
  const out: Shape[] = [];
  for (const [p, q, r] of permutations) {
    const sides = [opposite[p]!, opposite[q]!, opposite[r]!] as const;
    if (sides[0] < sides[1] - tolerance || sides[1] < sides[2] - tolerance) continue;
    out.push({ order: [t[p]!, t[q]!, t[r]!], sides });
  }
  return out;
}

/** A feature's bin, and with a margin the neighbouring bin it is close to. */
function bins(value: number, width: number, count: number, margin: number, circular: boolean): number[] {
  const raw = Math.floor(value / width);
  const bin = circular ? ((raw % count) + count) % count : Math.min(Math.max(raw, 0), count - 1);
  if (margin === 0) return [bin];
  const out = [bin];
  const within = value - raw * width;
  if (within < margin) {
    if (circular) out.push((bin + count - 1) % count);
    else if (raw <= count - 1 && bin > 0) out.push(bin - 1);
  }
  if (width - within < margin) {
    if (circular) out.push((bin + 1) % count);
    else if (raw < count - 1) out.push(bin + 1);
  }
  return out;
}

/** The quantised features of a triangle's shapes: numbers below 11 · sideBins³ · angleBins³. */
function codes(position: number, shape: Shape, parameters: IndexingParameters, query: boolean): number[] {
  const { sideBin, sideBins, angleBins } = parameters;
  const [v0, v1, v2] = shape.order;
  const baseline = Math.atan2(v2.y - v1.y, v2.x - v1.x);
  const angleWidth = TURN / angleBins;
  const angleMargin = query ? (parameters.angleMarginDegrees * Math.PI) / 180 : 0;
  const sideMargin = query ? parameters.sideMargin : 0;
  const sideChoices = shape.sides.map((s) => bins(s, sideBin, sideBins, sideMargin, false));
  const angleChoices = [v0, v1, v2].map((v) => {
    const relative = (((v.theta - baseline) % TURN) + TURN) % TURN;
    return bins(relative, angleWidth, angleBins, angleMargin, true);
  });
  let out = [position];
  const extend = (choices: number[], radix: number) => {
    if (choices.length === 1) {
      for (let i = 0; i < out.length; i++) out[i] = out[i]! * radix + choices[0]!;
      return;
    }
    const next: number[] = [];
    for (const c of out) for (const b of choices) next.push(c * radix + b);
    out = next;
  };
  for (const choices of sideChoices) extend(choices, sideBins);
  for (const choices of angleChoices) extend(choices, angleBins);
  return out;
}

/**
 * The feature codes a person is filed under: one per triangle of each indexed finger, distinct.
 * `resolution` in pixels per centimetre, as the record gives it.
 */
export function enrolmentCodes(
  views: readonly FingerView[],
  resolution: number,
  parameters: IndexingParameters = DEFAULT_INDEXING,
): number[] {
  const out = new Set<number>();
  for (const view of indexedViews(views, parameters)) {
    for (const t of triangles(points(view.minutiae, resolution), parameters)) {
      for (const shape of shapes(t, 0))
        for (const code of codes(view.position, shape, parameters, false)) out.add(code);
    }
  }
  return [...out];
}

/** The codes a probe looks up: per triangle, every code a second impression of it could be filed under. */
export function queryCodes(
  views: readonly FingerView[],
  resolution: number,
  parameters: IndexingParameters = DEFAULT_INDEXING,
): number[][] {
  const groups: number[][] = [];
  for (const view of indexedViews(views, parameters)) {
    for (const t of triangles(points(view.minutiae, resolution), parameters)) {
      const group = new Set<number>();
      for (const shape of shapes(t, 2 * parameters.sideMargin))
        for (const code of codes(view.position, shape, parameters, true)) group.add(code);
      groups.push([...group]);
    }
  }
  return groups;
}

/** Sixteen-byte blocks: the code, then a constant naming this use of the key. */
const BLOCK_TAG = Buffer.from('fingerprint-idx1', 'latin1').subarray(0, 12);

/**
 * Feature codes to index keys under a secret key: the first 32 bits of the code's AES-256
 * encryption (one block, the code and a fixed tag), a keyed pseudorandom function, computed for a
 * whole record in one call. The keys stored for a person then reveal nothing of their fingers'
 * shapes to whoever lacks the secret; whoever holds it could enumerate the code space, so the
 * secret is kept like the biometric data keys (wrapped by the master key, see the matcher).
 */
export class FeatureKeys {
  constructor(private readonly secret: Uint8Array) {
    if (secret.length !== 32) throw new Error('the index key is 32 bytes (AES-256)');
  }

  keys(codes: readonly number[]): Uint32Array {
    const blocks = Buffer.alloc(codes.length * 16);
    codes.forEach((code, i) => {
      blocks.writeUInt32BE(code, i * 16);
      BLOCK_TAG.copy(blocks, i * 16 + 4);
    });
    const cipher = createCipheriv('aes-256-ecb', this.secret, null);
    cipher.setAutoPadding(false);
    const encrypted = cipher.update(blocks);
    return Uint32Array.from(codes, (_, i) => encrypted.readUInt32BE(i * 16));
  }

  /** A person's keys, distinct and ascending: what the index stores. */
  enrolment(
    views: readonly FingerView[],
    resolution: number,
    parameters: IndexingParameters = DEFAULT_INDEXING,
  ): Uint32Array {
    return Uint32Array.from(new Set(this.keys(enrolmentCodes(views, resolution, parameters)))).sort();
  }

  /** A probe's keys, one group per triangle. */
  query(
    views: readonly FingerView[],
    resolution: number,
    parameters: IndexingParameters = DEFAULT_INDEXING,
  ): Uint32Array[] {
    const groups = queryCodes(views, resolution, parameters);
    const all = this.keys(groups.flat());
    let at = 0;
    return groups.map((group) => {
      const keys = all.subarray(at, at + group.length);
      at += group.length;
      return keys;
    });
  }
}

export interface Candidate {
  /** The number the member was added under. */
  readonly member: number;
  /** Probe triangles that found it. */
  readonly votes: number;
}

function grown<T extends Int32Array | Uint32Array | Uint16Array | Uint8Array>(array: T, needed: number): T {
  if (needed <= array.length) return array;
  let length = Math.max(array.length, 1024);
  while (length < needed) length *= 2;
  const bigger = new (array.constructor as new (n: number) => T)(length);
  bigger.set(array);
  return bigger;
}

/**
 * The inverted index: for each bucket (the low bits of a key), the members filed under it. Most
 * postings sit in one compact sorted-by-bucket block; recent additions are chained per bucket until
 * they are as many as half the block, when both are merged (so adding stays amortised constant,
 * and the block is rewritten O(log n) times while the index grows). Removal marks the member; the
 * next merge drops its postings. Searching is synchronous and touches only the probe's buckets.
 */
export class CandidateIndex {
  private readonly mask: number;
  private offsets: Uint32Array;
  private postings = new Int32Array(0);
  private heads: Int32Array;
  private recentMembers = new Int32Array(0);
  private recentBuckets = new Uint32Array(0);
  private recentNext = new Int32Array(0);
  private recentLength = 0;
  private removed = new Uint8Array(0);
  private present = new Uint8Array(0);
  private votes = new Uint16Array(0);
  private lastGroup = new Int32Array(0);
  private touched = new Int32Array(0);
  private group = 0;
  private live = 0;

  /**
   * `bucketBits`: 2^bits buckets (22 for millions of members); `mergeAfter`: recent postings
   * always allowed before a merge.
   */
  constructor(
    readonly bucketBits = 22,
    private readonly mergeAfter = 1 << 20,
  ) {
    this.mask = 2 ** bucketBits - 1;
    this.offsets = new Uint32Array(2 ** bucketBits + 1);
    // Zero is an empty chain (entries are stored plus one), so untouched pages stay unallocated.
    this.heads = new Int32Array(2 ** bucketBits);
  }

  /** Members filed and not removed. */
  get size(): number {
    return this.live;
  }

  /** Postings held, removed members' included until the next merge. */
  get postingCount(): number {
    return this.postings.length + this.recentLength;
  }

  /** Postings not merged yet. */
  get recentPostings(): number {
    return this.recentLength;
  }

  has(member: number): boolean {
    return member < this.present.length && this.present[member] === 1;
  }

  /** Files a member (a non-negative integer, not used before) under its keys. */
  add(member: number, keys: ArrayLike<number>): void {
    if (!Number.isInteger(member) || member < 0) throw new Error('members are non-negative integers');
    if (member < this.removed.length && (this.removed[member] === 1 || this.present[member] === 1))
      throw new Error(`member ${member} was added before`);
    this.ensureMember(member);
    const needed = this.recentLength + keys.length;
    this.recentMembers = grown(this.recentMembers, needed);
    this.recentBuckets = grown(this.recentBuckets, needed);
    this.recentNext = grown(this.recentNext, needed);
    for (let i = 0; i < keys.length; i++) {
      const bucket = keys[i]! & this.mask;
      const at = this.recentLength++;
      this.recentMembers[at] = member;
      this.recentBuckets[at] = bucket;
      this.recentNext[at] = this.heads[bucket]!;
      this.heads[bucket] = at + 1;
    }
    this.present[member] = 1;
    this.live++;
    if (this.recentLength > Math.max(this.mergeAfter, this.postings.length / 2)) this.merge();
  }

  remove(member: number): void {
    if (!this.has(member)) return;
    this.present[member] = 0;
    this.removed[member] = 1;
    this.live--;
  }

  /** The members most voted for by the probe's triangles: each group is one triangle's keys. */
  search(groups: readonly ArrayLike<number>[], limit: number, minVotes = 1): Candidate[] {
    const { offsets, postings, heads, recentMembers, recentNext, present, votes, lastGroup } = this;
    let touched = this.touched;
    let count = 0;
    if (this.group > 2_000_000_000) {
      this.lastGroup.fill(0);
      this.group = 0;
    }
    for (const keys of groups) {
      const group = ++this.group;
      for (let k = 0; k < keys.length; k++) {
        const bucket = keys[k]! & this.mask;
        // The compact block, then the recent chain: one loop over both, without a closure per key.
        let p = offsets[bucket]!;
        const end = offsets[bucket + 1]!;
        let chained = heads[bucket]!;
        for (;;) {
          let member: number;
          if (p < end) member = postings[p++]!;
          else if (chained !== 0) {
            member = recentMembers[chained - 1]!;
            chained = recentNext[chained - 1]!;
          } else break;
          if (present[member] !== 1 || lastGroup[member] === group) continue;
          lastGroup[member] = group;
          if (votes[member] === 0) {
            if (count === touched.length) touched = this.touched = grown(touched, count + 1);
            touched[count++] = member;
          }
          if (votes[member]! < 65535) votes[member]!++;
        }
      }
    }
    const found: Candidate[] = [];
    for (let i = 0; i < count; i++) {
      const member = touched[i]!;
      if (votes[member]! >= minVotes) found.push({ member, votes: votes[member]! });
      votes[member] = 0;
    }
    found.sort((a, b) => b.votes - a.votes || a.member - b.member);
    return found.slice(0, limit);
  }

  /** Bytes the index holds in typed arrays. */
  get memoryBytes(): number {
    return [
      this.offsets,
      this.postings,
      this.heads,
      this.recentMembers,
      this.recentBuckets,
      this.recentNext,
      this.removed,
      this.present,
      this.votes,
      this.lastGroup,
      this.touched,
    ].reduce((n, a) => n + a.byteLength, 0);
  }

  /** Folds the recent postings into the block and drops removed members' postings. */
  merge(): void {
    const buckets = this.mask + 1;
    const { offsets, postings, removed, recentMembers, recentBuckets } = this;
    const counts = new Uint32Array(buckets + 1);
    for (let b = 0; b < buckets; b++) {
      let n = 0;
      for (let p = offsets[b]!; p < offsets[b + 1]!; p++) if (removed[postings[p]!] !== 1) n++;
      counts[b + 1] = n;
    }
    for (let p = 0; p < this.recentLength; p++)
      if (removed[recentMembers[p]!] !== 1) counts[recentBuckets[p]! + 1]!++;
    for (let b = 0; b < buckets; b++) counts[b + 1]! += counts[b]!;
    const merged = new Int32Array(counts[buckets]!);
    const fill = counts.slice(0, buckets);
    for (let b = 0; b < buckets; b++)
      for (let p = offsets[b]!; p < offsets[b + 1]!; p++) {
        const member = postings[p]!;
        if (removed[member] !== 1) merged[fill[b]!++] = member;
      }
    for (let p = 0; p < this.recentLength; p++) {
      const member = recentMembers[p]!;
      if (removed[member] !== 1) merged[fill[recentBuckets[p]!]!++] = member;
    }
    this.offsets = counts;
    this.postings = merged;
    this.heads.fill(0);
    this.recentLength = 0;
    this.recentMembers = new Int32Array(0);
    this.recentBuckets = new Uint32Array(0);
    this.recentNext = new Int32Array(0);
  }

  private ensureMember(member: number): void {
    const needed = member + 1;
    this.removed = grown(this.removed, needed);
    this.present = grown(this.present, needed);
    this.votes = grown(this.votes, needed);
    this.lastGroup = grown(this.lastGroup, needed);
  }
}
