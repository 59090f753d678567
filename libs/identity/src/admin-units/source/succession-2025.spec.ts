import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CalendarDate } from '../../dates/calendar-date.js';
import { ADMINISTRATIVE_UNITS as units } from '../reference-data.js';
import type { SourceMap, SuccessorRow } from './source-map.js';
import { buildSuccession2025 } from './succession-2025.js';

const BEFORE_REFORM = CalendarDate.of(2025, 6, 30);

/** Where the commune coded `code` on 2025-06-30 went: today's codes and names. */
function successorsOf(code: string): string[] {
  const old = units.resolveUnit(code, BEFORE_REFORM);
  assert.ok(old, `${code} was in force on 2025-06-30`);
  const today = units.currentSuccessor(code, BEFORE_REFORM)!;
  return (today.kind === 'unit' ? [today.unit] : today.units).map((u) => `${u.code} ${u.name}`);
}

const nameOn = (code: string) => units.resolveUnit(code, BEFORE_REFORM)?.name;

// Hand-checked: each expectation below was read off merger-2025/successors.sql and the 2025-03-01
// list by a person, then compared with what the generator made of it (the committed data).
describe('the 2025 succession, hand-checked against the published text', () => {
  it('Hồ Chí Minh City (Bình Dương): the wards of Thủ Dầu Một', () => {
    // 25747 Phường Thủ Dầu Một ← "Phường Phú Cường, Phường Phú Thọ, Phường Chánh Nghĩa, Phường Hiệp
    // Thành (thành phố Thủ Dầu Một), Phường Chánh Mỹ"; 25750 Phường Phú Lợi ← "… Phường Hiệp Thành …".
    assert.deepEqual(['25747', '25753', '25756'].map(nameOn), [
      'Phường Phú Cường',
      'Phường Phú Thọ',
      'Phường Chánh Nghĩa',
    ]);
    for (const code of ['25747', '25753', '25756'])
      assert.deepEqual(successorsOf(code), ['25747 Phường Thủ Dầu Một']);
    assert.deepEqual(
      successorsOf('25741'),
      ['25747 Phường Thủ Dầu Một', '25750 Phường Phú Lợi'],
      'Hiệp Thành',
    );
    assert.deepEqual(
      successorsOf('25774'),
      ['25747 Phường Thủ Dầu Một', '25771 Phường Chánh Hiệp'],
      'Chánh Mỹ',
    );
  });

  it('Hà Nội: Ba Đình and Hoàn Kiếm, whole wards and parts', () => {
    // 00004 Phường Ba Đình ← "Phường Quán Thánh, Phường Trúc Bạch, một phần … Cửa Đông …".
    assert.deepEqual(successorsOf('00013'), ['00004 Phường Ba Đình'], 'Quán Thánh');
    assert.deepEqual(successorsOf('00004'), ['00004 Phường Ba Đình'], 'Trúc Bạch');
    assert.deepEqual(successorsOf('00061'), ['00070 Phường Hoàn Kiếm'], 'Hàng Bạc');
    assert.deepEqual(successorsOf('00055'), ['00004 Phường Ba Đình', '00070 Phường Hoàn Kiếm'], 'Cửa Đông');
  });

  it('Quảng Trị: numbered wards told apart by the district the text names beside them', () => {
    // 19360 Phường Quảng Trị ← "Phường 1, Phường 2, Phường 3 (thị xã Quảng Trị), Phường An Đôn, Xã Hải Lệ":
    // Phường 1 and 2 of the town of Quảng Trị, not those of Đông Hà.
    assert.equal(
      units.district(units.resolveUnit('19357', BEFORE_REFORM)!.districtCode!)?.name,
      'Thị xã Quảng Trị',
    );
    for (const code of ['19357', '19360', '19361'])
      assert.deepEqual(successorsOf(code), ['19360 Phường Quảng Trị']);
    assert.equal(nameOn('19333'), 'Phường 1');
    assert.equal(
      units.district(units.resolveUnit('19333', BEFORE_REFORM)!.districtCode!)?.name,
      'Thành phố Đông Hà',
    );
    assert.deepEqual(successorsOf('19333'), ['19333 Phường Đông Hà']);
  });

  it('Quảng Ngãi (Kon Tum): bare names after a typed one', () => {
    // 23302 Phường Đăk Bla ← "Phường Trần Hưng Đạo (thành phố Kon Tum), Lê Lợi, Nguyễn Trãi".
    assert.deepEqual(['23308', '23302', '23305'].map(nameOn), [
      'Phường Trần Hưng Đạo',
      'Phường Lê Lợi',
      'Phường Nguyễn Trãi',
    ]);
    for (const code of ['23308', '23302', '23305'])
      assert.deepEqual(successorsOf(code), ['23302 Phường Đăk Bla']);
  });

  it('Hồ Chí Minh City: Quận 8, a ward whole and a ward divided', () => {
    // 27418 Phường Chánh Hưng ← "Phường 4 (Quận 8), Rạch Ông, Phường Hưng Phú, Phường 5 (Quận 8)".
    assert.deepEqual(successorsOf('27409'), ['27418 Phường Chánh Hưng'], 'Phường 4');
    assert.deepEqual(successorsOf('27397'), ['27418 Phường Chánh Hưng'], 'Rạch Ông');
    assert.deepEqual(
      successorsOf('27418'),
      ['27418 Phường Chánh Hưng', '27424 Phường Bình Đông'],
      'Phường 5',
    );
  });

  it('Phú Thọ (Hòa Bình): "Mỵ Hòa" is Mi Hòa of Kim Bôi, beside the text\'s other communes', () => {
    // 05086 Xã Dũng Tiến ← "Xã Cuối Hạ, Xã Mỵ Hòa, Xã Nuông Dăm"; Mỹ Hòa of Tân Lạc is named by 05158.
    assert.deepEqual(successorsOf('05083'), ['05086 Xã Dũng Tiến'], 'Mi Hòa');
    assert.deepEqual(successorsOf('05143'), ['05158 Xã Mường Bi'], 'Mỹ Hòa');
  });

  it('Đồng Nai: "Xã Xuân Hòa" of Long Khánh is the ward Xuân Hoà there, not the commune of Xuân Lộc', () => {
    // 26080 Phường Long Khánh ← "Xã Xuân An, Xã Xuân Bình, Xã Xuân Hòa, Xã Phú Bình, Xã Bàu Trâm" (wards
    // of Long Khánh but for Bàu Trâm); 26446 Xã Xuân Hòa ← "Xã Xuân Hưng, Xã Xuân Hòa, …" (Xuân Lộc).
    assert.deepEqual(successorsOf('26083'), ['26080 Phường Long Khánh'], 'Phường Xuân Hoà');
    assert.deepEqual(successorsOf('26443'), ['26446 Xã Xuân Hòa'], 'Xã Xuân Hòa of Xuân Lộc');
  });

  it('An Giang and Vĩnh Long: a whole district, and a district named with its province', () => {
    // 31108 Đặc khu Kiên Hải ← "Huyện Kiên Hải"; 28810 Xã Phú Túc ← "Thị trấn Châu Thành (huyện Châu
    // Thành, tỉnh Bến Tre), …": three provinces of today's Vĩnh Long had a Châu Thành district.
    for (const code of ['31108', '31111', '31114', '31115'])
      assert.deepEqual(successorsOf(code), ['31108 Đặc khu Kiên Hải']);
    assert.equal(nameOn('28810'), 'Thị trấn Châu Thành');
    assert.deepEqual(successorsOf('28810'), ['28810 Xã Phú Túc']);
  });
});

describe('matching names, without guessing', () => {
  const before: SourceMap = {
    validFrom: '2025-03-01',
    provinces: [
      { code: '01', name: 'A', fullName: 'Tỉnh A' },
      { code: '02', name: 'B', fullName: 'Tỉnh B' },
      { code: '03', name: 'C', fullName: 'Tỉnh C' },
    ],
    districts: [
      { code: '001', fullName: 'Huyện Đông', provinceCode: '01' },
      { code: '002', fullName: 'Huyện Tây', provinceCode: '01' },
      { code: '003', fullName: 'Huyện Nam', provinceCode: '02' },
      { code: '004', fullName: 'Huyện Bắc', provinceCode: '03' },
    ],
    communes: [
      ['00001', 'Xã Tân Phú', '001', '01'],
      ['00002', 'Xã Tân Phú', '002', '01'],
      ['00003', 'Xã An Lạc', '001', '01'],
      ['00004', 'Xã Bình Minh', '002', '01'],
      ['00005', 'Xã Mi Hòa', '003', '02'],
      ['00006', 'Xã Mỹ Hòa', '003', '02'],
      ['00007', 'Xã Phú Mỹ', '003', '02'],
      ['00008', 'Xã Hòa Lạc', '004', '03'],
      ['00009', 'Xã Sà Phìn', '002', '01'],
    ].map(([code, fullName, districtCode, provinceCode]) => ({
      code: code!,
      fullName: fullName!,
      districtCode,
      provinceCode: provinceCode!,
    })),
  };
  const after: SourceMap = {
    validFrom: '2025-07-01',
    provinces: [
      { code: '01', name: 'A', fullName: 'Tỉnh A' },
      { code: '03', name: 'C', fullName: 'Tỉnh C' },
    ],
    districts: [],
    communes: [
      ['00001', 'Xã Đông'],
      ['00004', 'Xã Tây'],
      ['00005', 'Xã Nam'],
      ['00006', 'Xã Trung'],
      ['00008', 'Xã Hòa Lạc', '03'],
      ['00010', 'Xã Mới'],
    ].map(([code, fullName, provinceCode]) => ({
      code: code!,
      fullName: fullName!,
      districtCode: undefined,
      provinceCode: provinceCode ?? '01',
    })),
  };
  const province = (code: string, formedFrom: string): SuccessorRow => ({
    code,
    fullName: `Tỉnh ${code}`,
    provinceCode: undefined,
    formedFrom,
  });
  const commune = (
    code: string,
    fullName: string,
    formedFrom: string,
    provinceCode = '01',
  ): SuccessorRow => ({
    code,
    fullName,
    provinceCode,
    formedFrom,
  });
  const build = (rows: SuccessorRow[]) =>
    buildSuccession2025(before, after, [
      province('01', 'tỉnh A và tỉnh B'),
      province('03', 'giữ nguyên'),
      ...rows,
    ]);

  it('reports a name two communes answer to, when nothing in the text tells them apart', () => {
    // (A new unit that took an old code would place the text in that commune's district.)
    const s = build([
      commune('00010', 'Xã Mới', 'Xã Tân Phú'),
      commune('00004', 'Xã Tây', 'Xã Bình Minh'),
      commune('00005', 'Xã Nam', 'Xã Mi Hòa, Xã Mỹ Hòa, Xã Phú Mỹ'),
      commune('00006', 'Xã Trung', 'Xã An Lạc'),
      commune('00008', 'Xã Hòa Lạc', 'giữ nguyên', '03'),
    ]);
    const outcome = s.communes.find((c) => c.code === '00010')!.outcomes[0]!;
    assert.equal(outcome.kind, 'unmatched');
    assert.ok(outcome.kind === 'unmatched');
    assert.deepEqual(outcome.candidates, ['00001', '00002']);
    assert.equal(s.successorsOfOld.has('00001'), false);
    assert.equal(s.successorsOfOld.has('00002'), false);
  });

  it('takes the one in the district where the text places its other communes', () => {
    const s = build([
      commune('00001', 'Xã Đông', 'Xã Tân Phú, Xã An Lạc'),
      commune('00004', 'Xã Tây', 'Xã Tân Phú (huyện Tây), Xã Bình Minh'),
    ]);
    assert.deepEqual(s.successorsOfOld.get('00001'), ['00001']);
    assert.deepEqual(s.successorsOfOld.get('00002'), ['00004']);
    const first = s.communes.find((c) => c.code === '00001')!.outcomes[0]!;
    assert.ok(first.kind === 'commune' && first.method === 'context');
  });

  it('matches a spelling only where the text places its other communes, and prefers one no other text names', () => {
    const s = build([
      commune('00005', 'Xã Nam', 'Xã Mỵ Hòa, Xã Phú Mỹ'),
      commune('00006', 'Xã Trung', 'Xã Mỹ Hòa'),
    ]);
    assert.deepEqual(s.successorsOfOld.get('00005'), ['00005'], 'Mỵ Hòa is Mi Hòa');
    assert.deepEqual(s.successorsOfOld.get('00006'), ['00006'], 'Mỹ Hòa is named as such elsewhere');
  });

  it('never looks outside the old provinces the new one was formed from', () => {
    const s = build([commune('00001', 'Xã Đông', 'Xã Hòa Lạc')]);
    const outcome = s.communes.find((c) => c.code === '00001')!.outcomes[0]!;
    assert.ok(outcome.kind === 'unmatched' && /no xã Hòa Lạc/.test(outcome.reason));
  });

  it('leaves a differently spelled name unmatched when no commune near the text answers to it', () => {
    const s = build([commune('00004', 'Xã Tây', 'Xã Xà Phìn, Xã Bình Minh')]);
    assert.equal(s.successorsOfOld.has('00009'), false, 'Sà Phìn is not Xà Phìn');
  });

  it('makes a commune several units name divided, and corrects a row filed under a wrong code', () => {
    const s = build([
      commune('00001', 'Xã Đông', 'Xã An Lạc, Xã Bình Minh'),
      commune('09999', 'Xã Tây', 'một phần diện tích tự nhiên, quy mô dân số của Xã Bình Minh'),
    ]);
    assert.deepEqual(s.successorsOfOld.get('00004'), ['00001', '00004']);
    assert.match(s.rowNotes.join('\n'), /row 09999 Xã Tây: no such code .* taken as 00004/);
  });
});
