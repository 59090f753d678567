import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CalendarDate } from '../dates/calendar-date.js';
import type { AddressResolution, AdministrativeUnit } from './administrative-unit.js';
import {
  ADMINISTRATIVE_UNITS as units,
  findUnitsByCode,
  findUnitsByName,
  resolveAddress,
  resolveProvince,
} from './reference-data.js';

const d = (text: string) => CalendarDate.parse(text);
const IN_2020 = d('2020-06-15');
const label = (u: AdministrativeUnit) => `${u.code} ${u.name}`;

function resolved(r: AddressResolution): [string, string] {
  assert.equal(r.status, 'resolved', JSON.stringify(r));
  return r.status === 'resolved' ? [label(r.commune), label(r.province)] : ['', ''];
}

describe("an address resolved to today's unit", () => {
  it('takes a 2020 address in Thủ Dầu Một (Bình Dương) to its ward in Hồ Chí Minh City', () => {
    // Phú Cường, Phú Thọ and Chánh Nghĩa went whole into Phường Thủ Dầu Một (merger-2025 row 25747).
    for (const code of ['25747', '25753', '25756']) {
      const r = resolveAddress(code, IN_2020);
      assert.deepEqual(resolved(r), ['25747 Phường Thủ Dầu Một', '079 Hồ Chí Minh'], code);
      assert.equal(r.status === 'resolved' && r.recorded.provinceCode, '074', 'recorded in Bình Dương');
      assert.equal(r.status === 'resolved' && r.recorded.districtCode, '718', 'Thành phố Thủ Dầu Một');
    }
    const phuCuong = resolveAddress('25747', IN_2020);
    assert.equal(phuCuong.status === 'resolved' && phuCuong.recorded.name, 'Phường Phú Cường');
  });

  it('never picks a successor for a divided commune: it needs recoding, with the candidates', () => {
    // Hiệp Thành (Thủ Dầu Một) was split between Phường Thủ Dầu Một and Phường Phú Lợi.
    const r = resolveAddress('25741', IN_2020);
    assert.equal(r.status, 'needs-recoding');
    assert.ok(r.status === 'needs-recoding');
    assert.equal(r.reason, 'divided');
    assert.deepEqual(r.candidates.map(label), ['25747 Phường Thủ Dầu Một', '25750 Phường Phú Lợi']);
    assert.equal(r.province && label(r.province), '079 Hồ Chí Minh');
    assert.equal(r.recorded.name, 'Phường Hiệp Thành');
    // Cửa Nam (Hoàn Kiếm, Hà Nội) went to four new wards.
    const cuaNam = resolveAddress('00073', IN_2020);
    assert.ok(cuaNam.status === 'needs-recoding');
    assert.equal(cuaNam.candidates.length, 4);
  });

  it('asks for recoding, with no candidates, where the data names no successor', () => {
    // Xà Phìn (Hà Giang): the merger text says "Sà Phìn"; not matched (docs/admin-units-succession.md).
    const r = resolveAddress('00736', IN_2020);
    assert.ok(r.status === 'needs-recoding');
    assert.equal(r.reason, 'successor-unknown');
    assert.deepEqual(r.candidates, []);
    assert.equal(r.province && label(r.province), '008 Tuyên Quang');
  });

  it('reads a code by the date it was recorded: 00070 was Hàng Trống, then Hoàn Kiếm', () => {
    const old = resolveAddress('00070', IN_2020);
    assert.ok(old.status === 'needs-recoding', 'Hàng Trống was divided');
    assert.deepEqual(old.candidates.map(label), ['00070 Phường Hoàn Kiếm', '00082 Phường Cửa Nam']);
    assert.deepEqual(resolved(resolveAddress('00070', d('2025-08-01'))), [
      '00070 Phường Hoàn Kiếm',
      '001 Hà Nội',
    ]);
  });

  it('resolves on a given day as well as on the latest map', () => {
    // Long Thành (Đồng Nai): a township, a commune from 2025-07-01, a ward from 2026-04-30.
    assert.deepEqual(resolved(resolveAddress('26368', IN_2020, d('2025-06-30'))), [
      '26368 Thị trấn Long Thành',
      '075 Đồng Nai',
    ]);
    const onNewYear = resolveAddress('26368', IN_2020, d('2026-01-01'));
    assert.deepEqual(resolved(onNewYear), ['26368 Xã Long Thành', '075 Đồng Nai']);
    assert.equal(onNewYear.status === 'resolved' && onNewYear.province.fullName, 'Tỉnh Đồng Nai');
    const today = resolveAddress('26368', IN_2020);
    assert.deepEqual(resolved(today), ['26368 Phường Long Thành', '075 Đồng Nai']);
    assert.equal(today.status === 'resolved' && today.province.fullName, 'Thành phố Đồng Nai');
    assert.equal(
      resolveAddress('26368', d('2025-08-01')),
      resolveAddress('26368', d('2026-02-01')),
      'shared',
    );
    assert.throws(() => resolveAddress('26368', d('2026-01-01'), IN_2020), RangeError);
  });

  it('agrees with following the history, for every commune of every list', () => {
    for (const day of ['2020-06-15', '2025-08-01', '2026-06-01']) {
      for (const unit of units.unitsInForce(d(day), 'commune')) {
        const fast = resolveAddress(unit.code, d(day));
        const slow = units.currentSuccessor(unit.code, d(day))!;
        const expected = slow.kind === 'unit' ? [slow.unit] : slow.units;
        const got =
          fast.status === 'resolved'
            ? [fast.commune]
            : fast.status === 'needs-recoding'
              ? fast.candidates
              : [];
        assert.deepEqual(got, expected, `${unit.code} recorded ${day}`);
        assert.equal(fast, resolveAddress(unit.code, d(day), d('2027-01-01')), 'one shared answer');
      }
    }
  });

  it('answers unknown for a code no commune had on that day', () => {
    assert.deepEqual(resolveAddress('99999', IN_2020), { status: 'unknown' });
    assert.deepEqual(resolveAddress('079', IN_2020), { status: 'unknown' }, 'a province code');
    assert.deepEqual(
      resolveAddress('26732', IN_2020),
      { status: 'unknown' },
      'Đặc khu Côn Đảo began in 2025',
    );
  });

  it('resolves provinces: Bình Dương and Bà Rịa–Vũng Tàu are Hồ Chí Minh City now', () => {
    for (const code of ['074', '077', '079']) {
      const r = resolveProvince(code, IN_2020);
      assert.ok(r.status === 'resolved', code);
      assert.equal(label(r.province), '079 Hồ Chí Minh');
    }
    const r = resolveProvince('074', IN_2020);
    assert.equal(r.status === 'resolved' && r.recorded.name, 'Bình Dương');
    const bacGiang = resolveProvince('024', IN_2020);
    assert.ok(bacGiang.status === 'resolved' && bacGiang.recorded.name === 'Bắc Giang');
    assert.equal(label(bacGiang.province), '024 Bắc Ninh', 'the code reused by the new province');
    assert.deepEqual(resolveProvince('074', d('2025-08-01')), { status: 'unknown' }, 'no Bình Dương then');
    const then = resolveProvince('074', IN_2020, d('2025-06-30'));
    assert.equal(then.status === 'resolved' && then.province.name, 'Bình Dương');
  });
});

describe('units in force on a date', () => {
  const count = (day: string) => [
    units.unitsInForce(d(day), 'province').length,
    units.unitsInForce(d(day), 'commune').length,
  ];

  it('has the 2025-03-01 map until 30 June 2025, 34 provinces and 3,321 communes from 1 July', () => {
    assert.deepEqual(count('2020-06-15'), [63, 10_035]);
    assert.deepEqual(count('2025-06-30'), [63, 10_035]);
    assert.deepEqual(count('2025-07-01'), [34, 3_321]);
    assert.deepEqual(count('2026-04-30'), [34, 3_321]);
    assert.equal(units.districts().length, 696);
    assert.equal(units.district('718')?.name, 'Thành phố Thủ Dầu Một');
    assert.equal(units.district('718')?.validTo?.toString(), '2025-06-30');
  });

  it("turns ten of Đồng Nai's communes into wards, and Đồng Nai into a city, on 30 April 2026", () => {
    const wardsOn = (day: string) =>
      units
        .unitsInForce(d(day), 'commune')
        .filter((c) => c.provinceCode === '075' && c.name.startsWith('Phường ')).length;
    assert.equal(wardsOn('2026-04-30') - wardsOn('2026-04-29'), 10);
    const became = units
      .unitsInForce(d('2026-04-30'), 'commune')
      .filter((c) => c.validFrom?.toString() === '2026-04-30')
      .map((c) => c.name);
    assert.equal(became.length, 10);
    assert.ok(became.every((name) => name.startsWith('Phường ')));
    assert.ok(became.includes('Phường Long Thành') && became.includes('Phường Trảng Bom'));
    assert.equal(units.resolveUnit('26248', d('2026-04-29'))?.name, 'Xã Trảng Bom');
    const dongNai = units.history('075').map((v) => [v.fullName, v.validFrom?.toString() ?? null]);
    assert.deepEqual(dongNai, [
      ['Tỉnh Đồng Nai', null],
      ['Tỉnh Đồng Nai', '2025-07-01'],
      ['Thành phố Đồng Nai', '2026-04-30'],
    ]);
    assert.equal(units.history('075')[2]?.legalBasis, 'Nghị quyết 30/2026/QH16; Nghị quyết 237/NQ-UBTVQH16');
  });

  it('keeps a respelling out of the history: Thanh Hóa is one version though 2026 writes Thanh Hoá', () => {
    assert.equal(units.history('038').length, 1);
    assert.equal(units.history('038')[0]?.name, 'Thanh Hóa');
  });
});

describe('looking a unit up', () => {
  it('finds units by name without diacritics, case or type', () => {
    const names = (query: string, options?: Parameters<typeof findUnitsByName>[1]) =>
      findUnitsByName(query, options).map((r) => `${r.unit.code} ${r.unit.name}`);
    assert.deepEqual(names('thu dau mot'), ['25747 Phường Thủ Dầu Một']);
    assert.deepEqual(names('PHUONG THU DAU MOT'), names('Phường Thủ Dầu Một'));
    assert.deepEqual(names('binh duong', { level: 'province' }), ['074 Bình Dương']);
    assert.deepEqual(names('Hiep Thanh', { provinceCode: '074' }), ['25741 Phường Hiệp Thành']);
    assert.deepEqual(names('hoa binh', { level: 'province' }), ['017 Hoà Bình'], 'hòa = hoà = hoa');
    assert.deepEqual(names('dak lak', { level: 'province' }).length, 2, 'before and after Phú Yên joined');
    assert.deepEqual(names('ho chi minh', { level: 'province', on: d('2026-01-01') }), ['079 Hồ Chí Minh']);
    assert.ok(names('phu loi').includes('25750 Phường Phú Lợi'));
    assert.deepEqual(names('no such place'), []);
  });

  it('gives a unit with its history, predecessors, successors and where it lies today', () => {
    const [before, after] = findUnitsByCode('25747');
    assert.equal(before?.unit.name, 'Phường Phú Cường');
    assert.equal(before?.district?.name, 'Thành phố Thủ Dầu Một');
    assert.deepEqual(before?.successors.map(label), ['25747 Phường Thủ Dầu Một']);
    assert.ok(before?.today.kind === 'unit' && before.today.unit.name === 'Phường Thủ Dầu Một');
    assert.deepEqual(after?.predecessors.map(label), [
      '25741 Phường Hiệp Thành',
      '25747 Phường Phú Cường',
      '25753 Phường Phú Thọ',
      '25756 Phường Chánh Nghĩa',
      '25774 Phường Chánh Mỹ',
    ]);
    assert.deepEqual(after?.history.map(label), ['25747 Phường Phú Cường', '25747 Phường Thủ Dầu Một']);
    assert.deepEqual(after?.successors, []);
    assert.deepEqual(
      findUnitsByCode('25747', IN_2020).map((r) => r.unit.name),
      ['Phường Phú Cường'],
    );
    const hiepThanh = findUnitsByName('hiep thanh', { on: IN_2020, provinceCode: '074' })[0];
    assert.ok(hiepThanh?.today.kind === 'divided');
    assert.deepEqual(hiepThanh.today.units.map(label), ['25747 Phường Thủ Dầu Một', '25750 Phường Phú Lợi']);
  });

  it('knows the island districts that became special zones', () => {
    assert.deepEqual(units.district('755')?.successorCodes, ['26732']);
    assert.equal(units.resolveUnit('26732', d('2026-01-01'))?.name, 'Đặc khu Côn Đảo');
  });
});
