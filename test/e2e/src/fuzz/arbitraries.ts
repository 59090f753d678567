/**
 * Arbitraries of request messages made from the protobuf descriptors, for any method's input: the
 * values a careful client sends and the ones a hostile one does (empty and 10 KB strings, combining
 * marks, right-to-left text, emoji, near-UUIDs, integers at their limits, enum numbers nobody
 * declared, nested and repeated messages), and raw bytes that do not decode at all.
 */
import {
  create,
  ScalarType,
  toBinary,
  type DescEnum,
  type DescField,
  type DescMessage,
  type DescMethod,
} from '@bufbuild/protobuf';
import { isWrapperDesc } from '@bufbuild/protobuf/wkt';
import fc from 'fast-check';

/** How deep nested messages go; deeper message fields are left unset. */
const MAX_DEPTH = 3;
/** The longest string or bytes value: 10 KB. */
const HUGE = 10_000;

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const UINT32_MAX = 2 ** 32 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Strings a form or an attacker may send, beyond random ones. */
const NASTY_STRINGS = [
  '',
  ' ',
  '\t\n',
  '\u0000',
  'Nguyễn Văn An',
  // The same name in decomposed form: combining marks after plain letters.
  'Nguye\u0302\u0303n Va\u0306n An',
  'a\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301',
  'مرحبا بالعالم',
  'שלום',
  '\u202Eevil\u202C',
  '\u200B\u200C\u200D\uFEFF',
  '👨‍👩‍👧‍👦🇻🇳',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  "'; DROP TABLE citizens; --",
  '../../../../etc/passwd',
  '%s%n%x',
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  'null',
  'undefined',
  '-1',
  '0',
  '1e309',
  '2024-02-30',
  '1900-01-01',
  '9999-12-31T23:59:59Z',
  '001099012345',
  '0010990123456',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
];

const digits = fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 14 });

/** UUIDs, and UUIDs one edit away from valid. */
const nearUuid = fc.tuple(fc.uuid(), fc.nat({ max: 6 }), fc.nat({ max: 35 })).map(([uuid, how, at]) => {
  switch (how) {
    case 0:
      return uuid.toUpperCase();
    case 1:
      return uuid.slice(0, at) + uuid.slice(at + 1);
    case 2:
      return `{${uuid}}`;
    case 3:
      return `${uuid} `;
    case 4:
      return uuid.replace(/-/g, '');
    case 5:
      return `${uuid.slice(0, at)}g${uuid.slice(at + 1)}`;
    default:
      return `${uuid}${uuid}`;
  }
});

export const stringArbitrary: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.uuid() },
  { weight: 2, arbitrary: nearUuid },
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: digits },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('a', 'ễ', '👨‍👩‍👧', 'م', '0'), fc.integer({ min: 256, max: 2_000 }))
      // Bounded in bytes: at most 10 KB of UTF-8.
      .map(([unit, n]) => unit.repeat(Math.floor(Math.min(n, HUGE / Buffer.byteLength(unit))))),
  },
);

const int32 = fc.oneof(fc.constantFrom(0, -1, 1, INT32_MIN, INT32_MAX, 2 ** 31 - 2), fc.integer());
const uint32 = fc.oneof(fc.constantFrom(0, 1, 2 ** 31, UINT32_MAX), fc.nat({ max: UINT32_MAX }));
const int64 = fc.oneof(
  fc.constantFrom(0n, -1n, 1n, 2n ** 31n, 2n ** 53n, 2n ** 53n + 1n, INT64_MIN, INT64_MAX),
  fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
);
const uint64 = fc.oneof(
  fc.constantFrom(0n, 1n, 2n ** 31n, 2n ** 32n, 2n ** 53n, INT64_MAX, UINT64_MAX),
  fc.bigInt({ min: 0n, max: UINT64_MAX }),
);
const double = fc.oneof(
  fc.constantFrom(0, -0, -1, NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53),
  fc.double(),
);
const float = fc.oneof(fc.constantFrom(0, -1, NaN, Infinity, -Infinity, 3.4e38), fc.float());
const bytes = fc.oneof(
  { weight: 5, arbitrary: fc.uint8Array({ maxLength: 256 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1_000, maxLength: HUGE }) },
);

function scalarArbitrary(type: ScalarType, longAsString = false): fc.Arbitrary<unknown> {
  const long = (values: fc.Arbitrary<bigint>) => (longAsString ? values.map(String) : values);
  switch (type) {
    case ScalarType.STRING:
      return stringArbitrary;
    case ScalarType.BOOL:
      return fc.boolean();
    case ScalarType.BYTES:
      return bytes;
    case ScalarType.DOUBLE:
      return double;
    case ScalarType.FLOAT:
      return float;
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return int32;
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return uint32;
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return long(uint64);
    default:
      return long(int64);
  }
}

/** Declared enum numbers, and numbers nobody declared (open enums keep them on the wire). */
function enumArbitrary(desc: DescEnum): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...desc.values.map((value) => value.number)) },
    { weight: 1, arbitrary: fc.integer({ min: -3, max: 64 }) },
    { weight: 1, arbitrary: fc.constantFrom(INT32_MIN, INT32_MAX) },
  );
}

interface Single {
  readonly scalar?: ScalarType;
  readonly enum?: DescEnum;
  readonly message?: DescMessage;
  readonly longAsString?: boolean;
}

function singleArbitrary(
  field: Single,
  kind: 'scalar' | 'enum' | 'message',
  depth: number,
): fc.Arbitrary<unknown> | undefined {
  if (kind === 'scalar') return scalarArbitrary(field.scalar!, field.longAsString ?? false);
  if (kind === 'enum') return enumArbitrary(field.enum!);
  if (depth >= MAX_DEPTH) return undefined;
  return messageValueArbitrary(field.message!, depth + 1);
}

function fieldArbitrary(field: DescField, depth: number): fc.Arbitrary<unknown> | undefined {
  switch (field.fieldKind) {
    case 'scalar':
      return scalarArbitrary(field.scalar, field.longAsString);
    case 'enum':
      return enumArbitrary(field.enum);
    case 'message':
      // protobuf-es unboxes google.protobuf wrappers: the field holds the wrapped value itself.
      if (isWrapperDesc(field.message))
        return scalarArbitrary(field.message.fields[0]!.scalar!, field.message.fields[0]!.longAsString);
      return depth >= MAX_DEPTH ? undefined : messageValueArbitrary(field.message, depth + 1);
    case 'list': {
      const item = singleArbitrary(field as Single, field.listKind, depth);
      if (!item) return undefined;
      return fc.oneof(
        { weight: 6, arbitrary: fc.array(item, { maxLength: 4 }) },
        // Lists longer than any page or batch a service accepts.
        {
          weight: field.listKind === 'message' ? 0 : 1,
          arbitrary: fc.array(item, { minLength: 50, maxLength: 300 }),
        },
      );
    }
    case 'map': {
      const value = singleArbitrary(field as Single, field.mapKind, depth);
      if (!value) return undefined;
      const key = scalarArbitrary(field.mapKey);
      return fc
        .array(fc.tuple(key, value), { maxLength: 4 })
        .map((entries) => Object.fromEntries(entries.map(([k, v]) => [String(k), v])));
    }
  }
}

/** The init object of a message: any subset of its fields, at most one member of each oneof. */
export function messageValueArbitrary(desc: DescMessage, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const plain: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of desc.fields) {
    if (field.oneof) continue;
    const arbitrary = fieldArbitrary(field, depth);
    if (arbitrary) plain[field.localName] = arbitrary;
  }
  for (const oneof of desc.oneofs) {
    const members = oneof.fields.flatMap((field) => {
      const arbitrary = fieldArbitrary(field, depth);
      return arbitrary ? [arbitrary.map((value) => ({ case: field.localName, value }))] : [];
    });
    if (members.length > 0) plain[oneof.localName] = fc.oneof(...members);
  }
  return fc.record(plain, { requiredKeys: [] });
}

/** One request as sent: its bytes, and what they are, for a counterexample a person can read. */
export class Request {
  constructor(
    readonly bytes: Buffer,
    readonly what: string,
  ) {}
  [fc.toStringMethod](): string {
    return this.what;
  }
}

const show = (value: unknown) =>
  JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'bigint'
      ? `${v}n`
      : v instanceof Uint8Array
        ? `bytes(${v.length}):${Buffer.from(v.subarray(0, 16)).toString('hex')}`
        : typeof v === 'number' && !Number.isFinite(v)
          ? String(v)
          : v,
  );
const hex = (bytes: Uint8Array) =>
  `${Buffer.from(bytes.subarray(0, 64)).toString('hex')}${bytes.length > 64 ? `…(${bytes.length} bytes)` : ''}`;

/** Encoded messages of a schema. */
export function encodedArbitrary(desc: DescMessage): fc.Arbitrary<Request> {
  return messageValueArbitrary(desc).map(
    (value) =>
      new Request(Buffer.from(toBinary(desc, create(desc, value))), `${desc.typeName} ${show(value)}`),
  );
}

/** Bytes that are no message of the schema, or hardly one: random, truncated, malformed. */
export function undecodableArbitrary(desc: DescMessage): fc.Arbitrary<Request> {
  const raw = (what: string) => (bytes: Uint8Array) =>
    new Request(Buffer.from(bytes), `${what} ${hex(bytes)}`);
  return fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 512 }).map(raw('random bytes')),
    fc
      .tuple(encodedArbitrary(desc), fc.nat())
      // Cut short by at least one byte (an empty message has nothing to cut: a lone tag then).
      .map(([request, at]) =>
        request.bytes.length > 1
          ? request.bytes.subarray(0, 1 + (at % (request.bytes.length - 1)))
          : Uint8Array.of(0x0a),
      )
      .map(raw('truncated')),
    fc
      .constantFrom(
        [0x0f], // wire type 7
        [0x0e, 0x01], // wire type 6
        [0x08, ...Array<number>(11).fill(0xff), 0x01], // an 11-byte varint
        [0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f], // a length far past the end
        [0x0a, 0x02, 0xc3, 0x28], // invalid UTF-8 where field 1 is a string
        [0x0a, 0x03, 0xed, 0xa0, 0x80], // a UTF-8-encoded lone surrogate
        [0x0b, 0x0a, 0x00], // an unterminated group
        [0x00], // field number 0
      )
      .map((bytes) => Uint8Array.from(bytes))
      .map(raw('malformed')),
  );
}

/** The requests of a method: mostly generated messages, sometimes bytes that are none. */
export function requestArbitrary(method: DescMethod): fc.Arbitrary<Request> {
  return fc.oneof(
    { weight: 5, arbitrary: encodedArbitrary(method.input) },
    { weight: 1, arbitrary: undecodableArbitrary(method.input) },
  );
}

/** What a call sends: one request, or 0..3 of them for client and bidi streams. */
export function callArbitrary(method: DescMethod): fc.Arbitrary<Request[]> {
  return method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming'
    ? fc.array(requestArbitrary(method), { maxLength: 3 })
    : requestArbitrary(method).map((request) => [request]);
}
