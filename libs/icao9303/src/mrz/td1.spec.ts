import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MrzFieldError, MrzFormatError } from './errors.js';
import { encodeTd1, NO_DATE, parseTd1, type Td1Fields } from './td1.js';

/** The TD1 specimen of Doc 9303 Part 5: every check digit in it is valid. */
const SPECIMEN = [
  'I<UTOD231458907<<<<<<<<<<<<<<<',
  '7408122F1204159UTO<<<<<<<<<<<6',
  'ERIKSSON<<ANNA<MARIA<<<<<<<<<<',
] as const;

const SPECIMEN_FIELDS: Td1Fields = {
  documentCode: 'I',
  issuingState: 'UTO',
  documentNumber: 'D23145890',
  optionalData1: '',
  dateOfBirth: '740812',
  sex: 'F',
  dateOfExpiry: '120415',
  nationality: 'UTO',
  optionalData2: '',
  name: { primaryIdentifier: 'ERIKSSON', secondaryIdentifier: 'ANNA<MARIA' },
};

/** Replaces one character (1-based column, as Doc 9303 counts) in one line of the specimen. */
function corrupt(line: 1 | 2 | 3, column: number, c: string): string[] {
  const lines: string[] = [...SPECIMEN];
  const text = lines[line - 1]!;
  lines[line - 1] = text.slice(0, column - 1) + c + text.slice(column);
  return lines;
}

const failed = (mrz: readonly string[]): string[] =>
  parseTd1(mrz)
    .checks.filter((c) => !c.valid)
    .map((c) => c.check);

describe('TD1 MRZ', () => {
  it("accepts ICAO's specimen with every check digit valid", () => {
    const reading = parseTd1(SPECIMEN.join('\n'));
    assert.equal(reading.valid, true);
    assert.deepEqual(
      reading.checks.map((c) => [c.check, c.found]),
      [
        ['documentNumber', '7'],
        ['dateOfBirth', '2'],
        ['dateOfExpiry', '9'],
        ['composite', '6'],
      ],
    );
    assert.deepEqual(reading.fields, { ...SPECIMEN_FIELDS, documentCode: 'I' });
  });

  it('encodes the specimen fields into exactly the specimen lines', () => {
    assert.deepEqual(encodeTd1(SPECIMEN_FIELDS), { lines: SPECIMEN, nameTruncated: false });
  });

  it('round-trips what it encodes', () => {
    const fields: Td1Fields = {
      ...SPECIMEN_FIELDS,
      documentCode: 'ID',
      optionalData1: 'ABC123',
      optionalData2: 'X1',
      dateOfBirth: '55<<<<',
      dateOfExpiry: NO_DATE,
    };
    const reading = parseTd1(encodeTd1(fields).lines);
    assert.equal(reading.valid, true);
    assert.deepEqual(reading.fields, fields);
  });

  describe('reports each corrupted check digit by name', () => {
    const cases: [string, string[], string[]][] = [
      ['a document number character', corrupt(1, 9, '2'), ['documentNumber', 'composite']],
      ['the document number check digit', corrupt(1, 15, '8'), ['documentNumber', 'composite']],
      ['a birth date digit', corrupt(2, 6, '3'), ['dateOfBirth', 'composite']],
      ['the birth date check digit', corrupt(2, 7, '3'), ['dateOfBirth', 'composite']],
      ['an expiry date digit', corrupt(2, 10, '3'), ['dateOfExpiry', 'composite']],
      ['the expiry date check digit', corrupt(2, 15, '0'), ['dateOfExpiry', 'composite']],
      ['the optional data of line 1', corrupt(1, 20, 'B'), ['composite']],
      ['the optional data of line 2', corrupt(2, 25, '7'), ['composite']],
      ['the composite check digit', corrupt(2, 30, '5'), ['composite']],
      ['a check digit replaced by a filler', corrupt(1, 15, '<'), ['documentNumber', 'composite']],
    ];
    for (const [what, mrz, checks] of cases) {
      it(what, () => {
        assert.deepEqual(failed(mrz), checks);
        assert.equal(parseTd1(mrz).valid, false);
      });
    }
  });

  describe('refuses text that is not a TD1 MRZ', () => {
    const cases: [string, readonly string[]][] = [
      ['two lines', SPECIMEN.slice(0, 2)],
      ['a short line', [SPECIMEN[0], SPECIMEN[1].slice(0, 29), SPECIMEN[2]]],
      ['a long line', [SPECIMEN[0], SPECIMEN[1], `${SPECIMEN[2]}<`]],
      ['a lower-case letter', corrupt(1, 7, 'a')],
      ['a space', corrupt(3, 9, ' ')],
      ['a digit in the name', corrupt(3, 3, '1')],
      ['a sex that is not M, F or <', corrupt(2, 8, 'X')],
      ['month 18 in the birth date', corrupt(2, 3, '1')],
      ['day 35 in the expiry date', corrupt(2, 13, '3')],
    ];
    for (const [what, mrz] of cases) {
      it(what, () => assert.throws(() => parseTd1(mrz), MrzFormatError));
    }
  });

  describe('refuses fields that cannot be written', () => {
    const cases: [string, Partial<Td1Fields>, string][] = [
      ['a document code not starting with A, C or I', { documentCode: 'P' }, 'documentCode'],
      ['a 10-character document number', { documentNumber: 'D231458901' }, 'documentNumber'],
      ['a lower-case document number', { documentNumber: 'd2314' }, 'documentNumber'],
      ['16 characters of optional data', { optionalData1: 'A'.repeat(16) }, 'optionalData1'],
      ['12 characters of optional data in line 2', { optionalData2: 'A'.repeat(12) }, 'optionalData2'],
      ['a 4-letter state', { issuingState: 'VNMX' }, 'issuingState'],
      ['a state with a digit', { nationality: 'VN1' }, 'nationality'],
      ['a birth date that is not YYMMDD', { dateOfBirth: '1974-08-12' }, 'dateOfBirth'],
      ['a day without a month', { dateOfBirth: '74<<12' }, 'dateOfBirth'],
      ['February 30', { dateOfExpiry: '120230' }, 'dateOfExpiry'],
      ['a birth date of fillers only', { dateOfBirth: NO_DATE }, 'dateOfBirth'],
    ];
    for (const [what, change, field] of cases) {
      it(what, () =>
        assert.throws(
          () => encodeTd1({ ...SPECIMEN_FIELDS, ...change }),
          (error: unknown) =>
            error instanceof MrzFieldError &&
            error.field === field &&
            // Field values are personal data and errors reach logs: the message names the rule only.
            !Object.values(change).some((value) => error.message.includes(String(value))),
        ),
      );
    }
  });
});
