import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CalendarDate } from '../dates/calendar-date.js';
import { InconsistentReferenceDataError } from '../errors.js';
import type { AdministrativeReferenceData, Succession, UnitDefinition } from './administrative-unit.js';
import { AdministrativeUnits } from './administrative-units.js';
import { PROVINCE_REORGANISATIONS, PROVINCES_BEFORE_2025 } from './provinces.js';
import { ADMINISTRATIVE_UNITS as units, currentSuccessor, resolveUnit } from './reference-data.js';

const d = (text: string) => CalendarDate.parse(text);
const IN_2020 = d('2020-06-15');
const NOW = d('2026-01-01');
const names = (s: Succession | undefined) =>
  s === undefined ? undefined : s.kind === 'unit' ? [s.unit.name] : s.units.map((u) => u.name);

describe('provinces through the 2025 reorganisation', () => {
  it('has 63 provinces up to 30 June 2025 and 34 from 1 July 2025', () => {
    assert.equal(PROVINCES_BEFORE_2025.length, 63);
    assert.equal(new Set(PROVINCES_BEFORE_2025.map((p) => p.code)).size, 63);
    assert.equal(units.unitsInForce(d('2025-06-30'), 'province').length, 63);
    assert.equal(units.unitsInForce(d('2025-07-01'), 'province').length, 34);
    assert.deepEqual(
      units.currentUnits('province').map((p) => p.name),
      units.unitsInForce(NOW, 'province').map((p) => p.name),
    );
  });

  it('names the 34 units of Resolution 202/2025/QH15', () => {
    const current = new Map(units.currentUnits('province').map((p) => [p.code, p.name]));
    assert.deepEqual(
      [...current.values()].sort((a, b) => a.localeCompare(b, 'vi')),
      [
        'An Giang',
        'Bắc Ninh',
        'Cà Mau',
        'Cao Bằng',
        'Cần Thơ',
        'Đà Nẵng',
        'Đắk Lắk',
        'Điện Biên',
        'Đồng Nai',
        'Đồng Tháp',
        'Gia Lai',
        'Hà Nội',
        'Hà Tĩnh',
        'Hải Phòng',
        'Hồ Chí Minh',
        'Huế',
        'Hưng Yên',
        'Khánh Hòa',
        'Lai Châu',
        'Lạng Sơn',
        'Lào Cai',
        'Lâm Đồng',
        'Nghệ An',
        'Ninh Bình',
        'Phú Thọ',
        'Quảng Ngãi',
        'Quảng Ninh',
        'Quảng Trị',
        'Sơn La',
        'Tây Ninh',
        'Thái Nguyên',
        'Thanh Hóa',
        'Tuyên Quang',
        'Vĩnh Long',
      ].sort((a, b) => a.localeCompare(b, 'vi')),
    );
    // New provinces take the code of the predecessor hosting the administrative centre.
    assert.equal(current.get('015'), 'Lào Cai', 'centre in the former Yên Bái');
    assert.equal(current.get('024'), 'Bắc Ninh', 'centre in the former Bắc Giang');
    assert.equal(current.get('091'), 'An Giang', 'centre in the former Kiên Giang');
  });

  it('resolves an address recorded in 2020 in a merged province to itself then and to its successor today', () => {
    assert.equal(resolveUnit('002', IN_2020)?.name, 'Hà Giang');
    assert.equal(resolveUnit('002', NOW), undefined, 'the code no longer names a unit');
    assert.deepEqual(names(currentSuccessor('002', IN_2020)), ['Tuyên Quang']);
    const haGiang = resolveUnit('002', IN_2020)!;
    assert.deepEqual(
      [haGiang.validFrom, haGiang.validTo?.toString(), haGiang.successorCodes],
      [null, '2025-06-30', ['008']],
    );
    assert.deepEqual(names(units.successorAt('002', IN_2020, d('2025-06-30'))), ['Hà Giang']);
    assert.deepEqual(names(units.successorAt('002', IN_2020, d('2025-07-01'))), ['Tuyên Quang']);
  });

  it('keeps the old meaning of a code the merger gave to a new province', () => {
    assert.equal(resolveUnit('015', IN_2020)?.name, 'Yên Bái');
    assert.equal(resolveUnit('015', NOW)?.name, 'Lào Cai');
    assert.equal(resolveUnit('010', IN_2020)?.name, 'Lào Cai');
    assert.deepEqual(names(currentSuccessor('010', IN_2020)), ['Lào Cai']);
    assert.deepEqual(names(currentSuccessor('015', IN_2020)), ['Lào Cai']);
    assert.deepEqual(
      units
        .history('015')
        .map((u) => [u.name, u.validFrom?.toString() ?? null, u.validTo?.toString() ?? null]),
      [
        ['Yên Bái', null, '2025-06-30'],
        ['Lào Cai', '2025-07-01', null],
      ],
    );
    assert.equal(units.history('015')[1]?.legalBasis, 'Nghị quyết 202/2025/QH15');
  });

  it('follows a rename: Thừa Thiên Huế became Huế on 1 January 2025 and stayed whole in July', () => {
    assert.equal(resolveUnit('046', d('2024-12-31'))?.name, 'Thừa Thiên Huế');
    assert.equal(resolveUnit('046', d('2025-01-01'))?.name, 'Huế');
    assert.deepEqual(names(currentSuccessor('046', IN_2020)), ['Huế']);
    assert.deepEqual(names(units.successorAt('046', IN_2020, d('2024-12-31'))), ['Thừa Thiên Huế']);
    assert.equal(units.history('046').length, 2);
  });

  it('leaves the eleven unchanged provinces as one open version', () => {
    for (const code of ['001', '004', '011', '012', '014', '020', '022', '038', '040', '042']) {
      const history = units.history(code);
      assert.equal(history.length, 1, code);
      assert.deepEqual([history[0]?.validFrom, history[0]?.validTo], [null, null], code);
    }
  });

  it('sends every one of the 63 to exactly one of the 34', () => {
    const current = new Set(units.currentUnits('province').map((p) => p.code));
    for (const { code } of PROVINCES_BEFORE_2025) {
      const succession = currentSuccessor(code, IN_2020);
      assert.equal(succession?.kind, 'unit', code);
      assert.ok(succession?.kind === 'unit' && current.has(succession.unit.code), code);
    }
    const mergers = PROVINCE_REORGANISATIONS.filter((r) => r.legalBasis === 'Nghị quyết 202/2025/QH15');
    assert.equal(mergers.length, 23);
    assert.equal(mergers.flatMap((r) => r.predecessors).length, 52);
  });
});

describe('communes through the 2025 reorganisation (the official lists)', () => {
  it('resolves a ward merged whole to its successor, and keeps it as it was', () => {
    assert.equal(resolveUnit('00061', IN_2020)?.name, 'Phường Hàng Bạc');
    assert.equal(resolveUnit('00061', IN_2020)?.provinceCode, '001');
    assert.equal(resolveUnit('00061', IN_2020)?.districtCode, '002', 'Quận Hoàn Kiếm');
    assert.deepEqual(names(currentSuccessor('00061', IN_2020)), ['Phường Hoàn Kiếm']);
  });

  it('answers "divided" for a ward split between new wards, since only the street can tell', () => {
    assert.deepEqual(names(currentSuccessor('00076', IN_2020)), ['Phường Hoàn Kiếm', 'Phường Cửa Nam']);
  });

  it('tells a reused code apart by the recording date', () => {
    assert.equal(resolveUnit('00070', IN_2020)?.name, 'Phường Hàng Trống');
    assert.equal(resolveUnit('00070', NOW)?.name, 'Phường Hoàn Kiếm');
    assert.deepEqual(names(currentSuccessor('00070', IN_2020)), ['Phường Hoàn Kiếm', 'Phường Cửa Nam']);
    assert.deepEqual(names(currentSuccessor('00070', d('2025-08-01'))), ['Phường Hoàn Kiếm']);
    assert.deepEqual(names(currentSuccessor('00004', IN_2020)), ['Phường Ba Đình'], 'Trúc Bạch, whole');
  });

  it('moves a commune across a province merger: Phú Cường (Bình Dương) into Thủ Dầu Một (Hồ Chí Minh)', () => {
    const before = resolveUnit('25747', IN_2020)!;
    assert.deepEqual([before.name, before.provinceCode], ['Phường Phú Cường', '074']);
    assert.equal(resolveUnit(before.provinceCode!, IN_2020)?.name, 'Bình Dương');
    const after = currentSuccessor('25747', IN_2020);
    assert.ok(after?.kind === 'unit');
    assert.deepEqual([after.unit.name, after.unit.provinceCode], ['Phường Thủ Dầu Một', '079']);
    assert.equal(resolveUnit(after.unit.provinceCode!, NOW)?.name, 'Hồ Chí Minh');
  });

  it('has every commune of each list in force on its days, each in a province in force', () => {
    assert.equal(units.unitsInForce(IN_2020, 'commune').length, 10_035);
    assert.equal(units.unitsInForce(d('2025-06-30'), 'commune').length, 10_035);
    assert.equal(units.unitsInForce(d('2025-07-01'), 'commune').length, 3_321);
    assert.equal(units.currentUnits('commune').length, 3_321);
    const provinces = new Set(units.currentUnits('province').map((p) => p.code));
    for (const c of units.currentUnits('commune')) assert.ok(provinces.has(c.provinceCode!), c.code);
  });

  it('answers nothing for a code it has never held, or held at no such date', () => {
    assert.equal(resolveUnit('99999', NOW), undefined);
    assert.equal(currentSuccessor('99999', NOW), undefined);
    assert.equal(resolveUnit('25750', IN_2020)?.name, 'Phường Phú Hòa', 'its 2020 meaning');
    assert.equal(resolveUnit('25750', NOW)?.name, 'Phường Phú Lợi', 'and today');
    assert.equal(units.isKnownCode('002', 'province'), true);
    assert.equal(units.isKnownCode('00070', 'province'), false);
    assert.throws(() => units.successorAt('002', NOW, IN_2020), RangeError);
  });

  it('hands out frozen units, so no caller can rewrite history', () => {
    const unit = resolveUnit('002', IN_2020)!;
    assert.throws(() => (unit.successorCodes as string[]).push('999'), TypeError);
    assert.throws(() => ((unit as { name: string }).name = 'X'), TypeError);
    assert.deepEqual(resolveUnit('002', IN_2020)?.successorCodes, ['008']);
    assert.ok(Object.isFrozen(units.unitsInForce(NOW)));
  });
});

describe('reference data built from events', () => {
  const province = (code: string, name: string): UnitDefinition => ({ code, name, level: 'province' });
  const commune = (code: string, name: string, provinceCode: string): UnitDefinition => ({
    code,
    name,
    level: 'commune',
    provinceCode,
  });
  const build = (data: Partial<AdministrativeReferenceData>) =>
    new AdministrativeUnits({ initialUnits: [], reorganisations: [], ...data });
  const refused = (pattern: RegExp) => (e: unknown) =>
    e instanceof InconsistentReferenceDataError && pattern.test(e.message);

  it('follows a chain of reorganisations, each at its own date', () => {
    const map = build({
      initialUnits: [province('101', 'A'), province('102', 'C')],
      reorganisations: [
        {
          effectiveFrom: d('2020-01-01'),
          legalBasis: 'second',
          successor: province('103', 'D'),
          predecessors: [
            { code: '104', share: 'whole' },
            { code: '102', share: 'whole' },
          ],
        },
        {
          effectiveFrom: d('2010-01-01'),
          legalBasis: 'first',
          successor: province('104', 'B'),
          predecessors: [{ code: '101', share: 'whole' }],
        },
      ],
    });
    assert.deepEqual(names(map.successorAt('101', d('2000-01-01'), d('2015-01-01'))), ['B']);
    assert.deepEqual(names(map.currentSuccessor('101', d('2000-01-01'))), ['D']);
    assert.deepEqual(names(map.currentSuccessor('102', d('2019-12-31'))), ['D']);
    assert.equal(map.resolveUnit('104', d('2019-12-31'))?.validTo?.toString(), '2019-12-31');
  });

  it('refuses a reorganisation of a unit not in force the day before', () => {
    assert.throws(
      () =>
        build({
          reorganisations: [
            {
              effectiveFrom: d('2025-07-01'),
              legalBasis: 'x',
              successor: province('101', 'A'),
              predecessors: [{ code: '102', share: 'whole' }],
            },
          ],
        }),
      refused(/not in force/),
    );
  });

  it('refuses a lone part share and a whole unit named twice', () => {
    const one = (share: 'whole' | 'part', successor: string) => ({
      effectiveFrom: d('2025-07-01'),
      legalBasis: 'x',
      successor: province(successor, successor),
      predecessors: [{ code: '101', share }],
    });
    const initialUnits = [province('101', 'A')];
    assert.throws(() => build({ initialUnits, reorganisations: [one('part', '102')] }), refused(/only part/));
    assert.throws(
      () => build({ initialUnits, reorganisations: [one('whole', '102'), one('whole', '103')] }),
      refused(/every share must be a part/),
    );
  });

  it('refuses two units in force under one code', () => {
    assert.throws(
      () => build({ initialUnits: [province('101', 'A'), province('101', 'B')] }),
      refused(/already held/),
    );
    assert.throws(
      () =>
        build({
          initialUnits: [province('101', 'A'), province('102', 'B')],
          reorganisations: [
            {
              effectiveFrom: d('2025-07-01'),
              legalBasis: 'x',
              successor: province('102', 'B+A'),
              predecessors: [{ code: '101', share: 'whole' }],
            },
          ],
        }),
      refused(/already held/),
      'absorbing into an existing unit must list that unit as a predecessor',
    );
  });

  it('refuses malformed units and communes without a province in force', () => {
    assert.throws(() => build({ initialUnits: [province('01', 'A')] }), refused(/not a province code/));
    assert.throws(
      () => build({ initialUnits: [commune('0001', 'X', '101')] }),
      refused(/not a commune code/),
    );
    assert.throws(() => build({ initialUnits: [province('101', ' ')] }), refused(/NFC/));
    assert.throws(
      () => build({ initialUnits: [province('101', 'Hà Nội'.normalize('NFD'))] }),
      refused(/NFC/),
    );
    assert.throws(
      () => build({ initialUnits: [{ ...province('101', 'A'), provinceCode: '101' }] }),
      refused(/only communes/),
    );
    assert.throws(() => build({ initialUnits: [commune('00001', 'X', '101')] }), refused(/province 101/));
    assert.throws(
      () =>
        build({
          initialUnits: [province('101', 'A'), commune('00001', 'X', '101')],
          reorganisations: [
            {
              effectiveFrom: d('2025-07-01'),
              legalBasis: 'x',
              successor: province('102', 'B'),
              predecessors: [{ code: '00001', share: 'whole' }],
            },
          ],
        }),
      refused(/another level/),
    );
  });
});
