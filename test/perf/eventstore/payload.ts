import { randomUUID } from 'node:crypto';

/** The payload every system stores: a citizen registration, about 300 bytes of JSON. */
export type CitizenRegistered = {
  citizenId: string;
  personalIdNumber: string;
  fullName: string;
  birthDate: string;
  sex: 'F' | 'M';
  nationality: string;
  ethnicity: string;
  commune: string;
  province: string;
  street: string;
  registeredAt: string;
};

export interface BenchEvent {
  readonly type: 'CitizenRegistered';
  readonly data: CitizenRegistered;
}

/** The `actor` every append records; each system also stores a fresh correlation id per append. */
export const ACTOR = 'bench';

const FAMILY = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Huỳnh', 'Phan', 'Vũ'];
const GIVEN = ['Thị Minh Khai', 'Văn Bình An', 'Ngọc Lan Anh', 'Quốc Bảo', 'Thu Hằng', 'Đức Thắng'];
const PLACES = [
  ['Phường Bến Nghé', 'Thành phố Hồ Chí Minh'],
  ['Phường Hàng Bạc', 'Thành phố Hà Nội'],
  ['Xã Hòa Tiến', 'Thành phố Đà Nẵng'],
  ['Phường Vĩnh Ninh', 'Tỉnh Thừa Thiên Huế'],
] as const;

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

export function citizenEvent(n: number): BenchEvent {
  const place = PLACES[n % PLACES.length]!;
  return {
    type: 'CitizenRegistered',
    data: {
      citizenId: `cit-${pad(n, 10)}`,
      personalIdNumber: `0790${pad(n % 100_000_000, 8)}`,
      fullName: `${FAMILY[n % FAMILY.length]!} ${GIVEN[n % GIVEN.length]!}`,
      birthDate: `19${pad(50 + (n % 50), 2)}-${pad(1 + (n % 12), 2)}-${pad(1 + (n % 28), 2)}`,
      sex: n % 2 === 0 ? 'F' : 'M',
      nationality: 'VN',
      ethnicity: 'Kinh',
      commune: place[0],
      province: place[1],
      street: `${1 + (n % 300)} Lê Lợi`,
      registeredAt: '2025-06-01T08:30:00.000Z',
    },
  };
}

/** A fixed set of payloads, built once so that no timed loop pays for building them. */
export const PAYLOADS: readonly BenchEvent[] = Array.from({ length: 1000 }, (_, n) => citizenEvent(n));

export function payloadBytes(): number {
  const total = PAYLOADS.reduce((sum, e) => sum + Buffer.byteLength(JSON.stringify(e.data)), 0);
  return Math.round(total / PAYLOADS.length);
}

/** A time-ordered UUID (version 7), like the ids our store generates, for the raw baseline. */
export function uuidv7(): string {
  const random = randomUUID(); // xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx
  const ms = Date.now().toString(16).padStart(12, '0');
  return `${ms.slice(0, 8)}-${ms.slice(8, 12)}-7${random.slice(15)}`;
}
