import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMergerText, type MergerMention } from './merger-text.js';

/** The mentions as compact strings: `type|name|district|share|remainder…`. */
function read(text: string): string[] {
  const parsed = parseMergerText(text);
  assert.equal(parsed.kind, 'formed');
  return parsed.kind === 'formed' ? parsed.mentions.map(brief) : [];
}

const brief = (m: MergerMention) =>
  [m.type ?? '-', m.name, m.district ?? '-', m.share, ...m.remainderAfter].join('|');

// Every text below is copied from merger-2025/successors.sql (truocsapnhap), and each reading was
// checked by hand against it.
describe('reading the merger text (truocsapnhap)', () => {
  it('reads a plain list (Hồ Chí Minh City, row 25747: Phường Thủ Dầu Một)', () => {
    assert.deepEqual(
      read(
        'Phường Phú Cường, Phường Phú Thọ, Phường Chánh Nghĩa, Phường Hiệp Thành (thành phố Thủ Dầu Một), Phường Chánh Mỹ',
      ),
      [
        'phường|Phú Cường|-|whole',
        'phường|Phú Thọ|-|whole',
        'phường|Chánh Nghĩa|-|whole',
        'phường|Hiệp Thành|thành phố Thủ Dầu Một|whole',
        'phường|Chánh Mỹ|-|whole',
      ],
    );
  });

  it('reads parts and remainders, carrying "các phường" over bare names (Hà Nội, row 00004: Phường Ba Đình)', () => {
    assert.deepEqual(
      read(
        'Phường Quán Thánh, Phường Trúc Bạch, một phần diện tích TN, quy mô dân số của các phường Cửa Nam, ' +
          'Điện Biên, Đội Cấn, Kim Mã, Ngọc Hà, một phần diện tích TN của phường Thụy Khuê, phần còn lại của ' +
          'phường Cửa Đông, Đồng Xuân sau khi sắp Xếp',
      ),
      [
        'phường|Quán Thánh|-|whole',
        'phường|Trúc Bạch|-|whole',
        'phường|Cửa Nam|-|part',
        'phường|Điện Biên|-|part',
        'phường|Đội Cấn|-|part',
        'phường|Kim Mã|-|part',
        'phường|Ngọc Hà|-|part',
        'phường|Thụy Khuê|-|part',
        'phường|Cửa Đông|-|part',
        'phường|Đồng Xuân|-|part',
      ],
    );
  });

  it('reads "(phần còn lại sau khi sáp nhập vào …)" as the other units that took part (Hà Nội, row 00118: Phường Bồ Đề)', () => {
    assert.deepEqual(
      read(
        'Phường Ngọc Lâm, một phần diện tích TN, quy mô dân số của các phường Đức Giang, Phường Gia Thụy, ' +
          'Phường Thượng Thanh, một phần diện tích TN phường Phúc Đồng, Phường Ngọc Thụy (phần còn lại sau khi ' +
          'sáp nhập vào phường Hồng Hà), Phường Bồ Đề (phần còn lại sau khi sáp nhập vào phường Hồng Hà, ' +
          'phường Long Biên), Phường Long Biên (phần còn lại sau khi sáp nhập vào phường Long Biên)',
      ),
      [
        'phường|Ngọc Lâm|-|whole',
        'phường|Đức Giang|-|part',
        'phường|Gia Thụy|-|part',
        'phường|Thượng Thanh|-|part',
        'phường|Phúc Đồng|-|part',
        'phường|Ngọc Thụy|-|part|phường Hồng Hà',
        'phường|Bồ Đề|-|part|phường Hồng Hà|phường Long Biên',
        'phường|Long Biên|-|part|phường Long Biên',
      ],
    );
  });

  it('keeps a district qualifier on the name it follows (Quảng Trị, row 19360: Phường Quảng Trị)', () => {
    assert.deepEqual(read('Phường 1, Phường 2, Phường 3 (thị xã Quảng Trị), Phường An Đôn, Xã Hải Lệ'), [
      'phường|1|-|whole',
      'phường|2|-|whole',
      'phường|3|thị xã Quảng Trị|whole',
      'phường|An Đôn|-|whole',
      'xã|Hải Lệ|-|whole',
    ]);
    // Hồ Chí Minh City, row 27418: Phường Chánh Hưng.
    assert.deepEqual(read('Phường 4 (Quận 8), Rạch Ông, Phường Hưng Phú, Phường 5 (Quận 8)'), [
      'phường|4|Quận 8|whole',
      'phường|Rạch Ông|-|whole',
      'phường|Hưng Phú|-|whole',
      'phường|5|Quận 8|whole',
    ]);
  });

  it('gives a bare name the type of the one before it (Quảng Ngãi, row 23302: Phường Đăk Bla, from Kon Tum)', () => {
    assert.deepEqual(read('Phường Trần Hưng Đạo (thành phố Kon Tum), Lê Lợi, Nguyễn Trãi'), [
      'phường|Trần Hưng Đạo|thành phố Kon Tum|whole',
      'phường|Lê Lợi|-|whole',
      'phường|Nguyễn Trãi|-|whole',
    ]);
    const parsed = parseMergerText('Phường Trần Hưng Đạo (thành phố Kon Tum), Lê Lợi, Nguyễn Trãi');
    assert.ok(parsed.kind === 'formed' && parsed.mentions[1]!.typeFromContext);
  });

  it('reads a district given with its province (Vĩnh Long, row 28810: Xã Phú Túc, from Bến Tre)', () => {
    const parsed = parseMergerText(
      'Thị trấn Châu Thành (huyện Châu Thành, tỉnh Bến Tre), Xã Tân Thạch, Xã Tường Đa, Xã Phú Túc',
    );
    assert.ok(parsed.kind === 'formed');
    assert.deepEqual(
      [parsed.mentions[0]!.type, parsed.mentions[0]!.name, parsed.mentions[0]!.district],
      ['thị trấn', 'Châu Thành', 'huyện Châu Thành'],
    );
    assert.equal(parsed.mentions[0]!.districtProvince, 'tỉnh Bến Tre');
  });

  it('copes with the texts\' slips: a doubled type, a doubled name, a cut-off "của" (Phú Thọ, Tuyên Quang, Hưng Yên)', () => {
    // Phú Thọ, row 04828 (Hòa Bình): "của xã  Xã Vầy Nưa … theo quy định tại khoản 99 Điều này".
    assert.deepEqual(
      read(
        'Phường Dân Chủ, Phường Thái Bình, Phường Thống Nhất, và phần còn lại của xã  Xã Vầy Nưa sau khi sắp xếp theo quy định tại khoản 99 Điều này',
      ),
      [
        'phường|Dân Chủ|-|whole',
        'phường|Thái Bình|-|whole',
        'phường|Thống Nhất|-|whole',
        'xã|Vầy Nưa|-|part',
      ],
    );
    // Tuyên Quang, row 00994 (Hà Giang): the name written twice.
    assert.deepEqual(
      read(
        'Xã Minh Ngọc, Xã Thượng Tân và một phần diện tích tự nhiên, quy mô dân số của xã Yên Định  Xã Yên Định',
      ),
      ['xã|Minh Ngọc|-|whole', 'xã|Thượng Tân|-|whole', 'xã|Yên Định|-|part'],
    );
    // Hưng Yên, row 11983: "củ" for "của".
    assert.deepEqual(
      read('Phường Lam Sơn, Xã Phú Cường, Xã Hùng Cường, Xã Bảo Khê và phần còn lại củ Xã Ngọc Thanh'),
      [
        'phường|Lam Sơn|-|whole',
        'xã|Phú Cường|-|whole',
        'xã|Hùng Cường|-|whole',
        'xã|Bảo Khê|-|whole',
        'xã|Ngọc Thanh|-|part',
      ],
    );
  });

  it('marks villages and pieces of land, and whole districts, for what they are (Cao Bằng, Bắc Ninh, Quảng Trị)', () => {
    assert.deepEqual(read('Xóm Tổng Dùn, Xã Quảng Lâm'), [
      'area|Xóm Tổng Dùn|-|whole',
      'xã|Quảng Lâm|-|whole',
    ]);
    assert.deepEqual(read('Xã Phong Vân, Xã Biên Sơn, Trường bắn TB1')[2], 'area|Trường bắn TB1|-|whole');
    assert.deepEqual(read('Huyện Cồn Cỏ'), ['huyện|Cồn Cỏ|-|whole']);
  });

  it('reads "(một phần)" after a name as a part, and keeps other remarks aside (Cà Mau, row 32104)', () => {
    const text = 'Xã Khánh Bình Tây (bao gồm Hòn Đá Bạc), Xã Khánh Bình Tây Bắc, Xã Trần Hợi (một phần)';
    assert.deepEqual(read(text), [
      'xã|Khánh Bình Tây|-|whole',
      'xã|Khánh Bình Tây Bắc|-|whole',
      'xã|Trần Hợi|-|part',
    ]);
    const parsed = parseMergerText(text);
    assert.ok(parsed.kind === 'formed');
    assert.deepEqual(parsed.mentions[0]!.notes, ['bao gồm Hòn Đá Bạc']);
  });

  it('reads "giữ nguyên" as unchanged', () => {
    assert.deepEqual(parseMergerText('giữ nguyên'), { kind: 'unchanged' });
    assert.deepEqual(parseMergerText(' Giữ nguyên. '), { kind: 'unchanged' });
  });
});
