/**
 * What personal data looks like when it leaks into telemetry: the shapes a citizen's data takes in
 * Cancuoc. Telemetry attributes and span names are code names, topics, states and machines, all
 * ASCII words and numbers, so anything of these shapes in them is a leak. Patterns cannot recognise
 * a name written without diacritics: the first defence is that instrumentation only ever records
 * values it chose (method, topic, state), never request data or error messages.
 */
export const PERSONAL_DATA_PATTERNS = {
  /** The 12-digit personal identification number, or the 9-digit number of the old card. */
  personalIdNumber: /(?<!\d)(?:\d{12}|\d{9})(?!\d)/,
  /** A record's opaque id (stream ids `citizen-<uuid>`, event ids): it singles out one person. */
  recordId: /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i,
  /** A calendar date, such as a birth date. */
  date: /(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)/,
  /** Letters outside ASCII: Vietnamese names, addresses, ethnicity, religion. */
  nonAsciiText: /[^\x20-\x7e]/,
} as const;

export type PersonalDataKind = keyof typeof PERSONAL_DATA_PATTERNS;

/** The kind of personal data `text` looks like it holds, if any. */
export function personalDataIn(text: string): PersonalDataKind | undefined {
  for (const [kind, pattern] of Object.entries(PERSONAL_DATA_PATTERNS)) {
    if (pattern.test(text)) return kind as PersonalDataKind;
  }
  return undefined;
}

const ID_NUMBERS = new RegExp(PERSONAL_DATA_PATTERNS.personalIdNumber.source, 'g');
const DATES = new RegExp(PERSONAL_DATA_PATTERNS.date.source, 'g');
/** A word with a letter outside ASCII, through to the next space or punctuation. */
const NON_ASCII_WORDS = /[^\s,;:()[\]{}"'<>]*[^\p{ASCII}][^\s,;:()[\]{}"'<>]*/gu;

export const REDACTED = '[redacted]';

/**
 * `text` with what looks like personal data replaced by `[redacted]`: id numbers, dates and words
 * with non-ASCII letters. Record ids stay: a log line is worth little if it cannot name the
 * incident or the record an operator must look at, and logs are as protected as the database.
 */
export function redact(text: string): string {
  return text.replace(ID_NUMBERS, REDACTED).replace(DATES, REDACTED).replace(NON_ASCII_WORDS, REDACTED);
}
