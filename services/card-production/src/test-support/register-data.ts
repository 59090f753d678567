import type { RegisterData } from '../domain/personalisation/card-contents.js';

/** Nguyễn Thị Ánh Đào as the register pins her for a card: born 17 May 1990 in Hà Nội. */
export const DAO: RegisterData = {
  personalId: '001190123456',
  familyName: 'Nguyễn',
  middleName: 'Thị Ánh',
  givenName: 'Đào',
  birthDate: '1990-05-17',
  sex: 'female',
  nationality: 'VNM',
  ethnicity: 'Kinh',
  religion: 'Không',
  homeTown: { provinceCode: '092', communeCode: '31120', detail: '' },
  permanentResidence: { provinceCode: '001', communeCode: '00004', detail: '3 Phan Đình Phùng' },
};
