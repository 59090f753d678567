import { buildDg1 } from '../lds/dg1.js';
import { buildDg13 } from '../lds/dg13.js';
import { buildDg2 } from '../lds/dg2.js';
import { vietnamDg13Entries } from '../lds/vietnam-dg13.js';
import { encodeVietnamTd1 } from '../mrz/vietnam-td1.js';
import { jpegImage } from './images.js';

/** DG1, DG2 and DG13 of one made-up citizen, as card production would write them. */
export function cardDataGroups(): Map<number, Uint8Array> {
  const mrz = encodeVietnamTd1({
    personalIdNumber: '079203001234',
    name: { primaryIdentifier: 'NGUYEN', secondaryIdentifier: 'VAN<AN' },
    dateOfBirth: { year: 2003, month: 5, day: 14 },
    sex: 'M',
    dateOfExpiry: { year: 2028, month: 5, day: 14 },
  });
  return new Map([
    [1, buildDg1(mrz.lines)],
    [2, buildDg2([{ image: jpegImage(413, 531), gender: 'male', sourceType: 'static-photo-digital-still' }])],
    [
      13,
      buildDg13(
        vietnamDg13Entries({
          personalIdNumber: '079203001234',
          fullName: 'Nguyễn Văn An',
          dateOfBirth: '14/05/2003',
          sex: 'Nam',
          nationality: 'Việt Nam',
          ethnicity: 'Kinh',
          religion: 'Không',
          homeTown: 'TP. Hồ Chí Minh',
          permanentResidence: '12 Lê Lợi, Phường Bến Thành, TP. Hồ Chí Minh',
          identifyingMarks: 'Nốt ruồi trên mày phải',
          issueDate: '20/05/2021',
          expiryDate: '14/05/2028',
          fatherName: 'Nguyễn Văn Bình',
          motherName: 'Trần Thị Cúc',
        }),
      ),
    ],
  ]);
}
