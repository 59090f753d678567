import { spellingKey } from '../unit-names.js';

/**
 * One unit named in a `truocsapnhap` text: "Phường Quán Thánh", "một phần diện tích TN, quy mô dân
 * số của các phường Cửa Nam", "Xã Tân Thành (huyện Hướng Hóa)", "Phường Ngọc Thụy (phần còn lại sau
 * khi sáp nhập vào phường Hồng Hà)".
 */
export interface MergerMention {
  /** The item as written (markers and parentheses included), for reports. */
  readonly written: string;
  /**
   * The unit type as a lower-case word: `phường`, `xã`, `thị trấn` (communes); `huyện`, `quận`,
   * `thị xã`, `thành phố` (districts); `đặc khu`; `area` for a village or other piece of land that is
   * no unit of this map (thôn, xóm, trường bắn); undefined when the text gives none.
   */
  readonly type: string | undefined;
  /** True when the type came from the words before it ("các phường Cửa Nam, Điện Biên"). */
  readonly typeFromContext: boolean;
  /** The name without its type. */
  readonly name: string;
  /** A district that disambiguates the name, as written: "huyện Hướng Hóa", "Quận 8". */
  readonly district: string | undefined;
  /** The old province given with the district: "(huyện Châu Thành, tỉnh Bến Tre)". */
  readonly districtProvince: string | undefined;
  /** Other parenthesised words, kept for reports: "(bao gồm cụm đảo Hòn Chuối)". */
  readonly notes: readonly string[];
  /** Whether the text gives this unit's territory in part ("một phần…", "phần còn lại…"). */
  readonly share: 'whole' | 'part';
  /** "…, toàn bộ quy mô dân số của X": part of X's land but all of its people. */
  readonly wholePopulation: boolean;
  /** "(phần còn lại sau khi sáp nhập vào phường A, phường B)": the other units that took part of it. */
  readonly remainderAfter: readonly string[];
}

export type MergerText =
  { readonly kind: 'unchanged' } | { readonly kind: 'formed'; readonly mentions: readonly MergerMention[] };

const COMMUNE_TYPES = ['thị trấn', 'phường', 'xã'] as const;
const DISTRICT_TYPES = ['thành phố', 'thị xã', 'huyện', 'quận'] as const;
/** Pieces of land smaller than a commune that some texts name. */
const AREA_WORDS = ['tổ dân phố', 'khu phố', 'khu vực', 'trường bắn', 'thôn', 'xóm', 'bản', 'ấp'] as const;

const TYPE_AFTER = String.raw`(?:\s+(?:của|các|phường|xã|thị trấn))*`;
const WHOLE_MARKER = new RegExp(
  String.raw`toàn bộ\s+diện tích\s+(?:TN|tự nhiên)\s*,\s*quy mô dân số` + TYPE_AFTER,
  'giu',
);
const PART_MARKER = new RegExp(
  String.raw`(?:sắp xếp\s+)?một phần diện tích\s+(?:TN|tự nhiên)` +
    String.raw`(?:\s*,\s*(toàn bộ|toàn bố)?\s*quy mô dân số)?` +
    TYPE_AFTER,
  'giu',
);
const REST_MARKER = new RegExp(String.raw`phần còn l[aạ]i củ(?:a)?(?=\s)` + TYPE_AFTER, 'giu');
const AFTER_REORGANISATION = /\s*sau khi (?:sắp xếp|sáp nhập)(?:\s+theo quy định tại khoản \d+ Điều này)?/giu;
const REMAINDER_PAREN = /^phần còn lại sau khi sáp nhập vào\s+(.+)$/iu;
const PART_PAREN = /^(?:một phần|phần còn lại)$/iu;
const DISTRICT_PAREN =
  /^(?:thuộc\s+)?((?:huyện|quận|thị xã|thành phố|tp\.?|tx\.?)\s+[^,]+?)(?:\s*,\s*((?:tỉnh|thành phố)\s+.+))?$/iu;

/** Reads one `truocsapnhap` text into the units it names. Pure; never throws on odd wording. */
export function parseMergerText(raw: string): MergerText {
  const cleaned = raw
    .normalize('NFC')
    .replace(/\s+/g, ' ')
    .replace(/,(?=\S)/g, ', ')
    .trim();
  if (spellingKey(cleaned).replace(/[.\s]+$/, '') === 'giữ nguyên') return { kind: 'unchanged' };

  // Parentheses may hold commas: set them aside while the list is split.
  const parens: string[] = [];
  let text = cleaned.replace(/\(([^()]*)\)/g, (_, inner: string) => {
    parens.push(inner.trim());
    return `⟦${parens.length - 1}⟧`;
  });
  // Markers may hold commas too; each becomes one token, with the unit type it ended on.
  const token = (kind: string) => (match: string) => {
    const type = /(phường|xã|thị trấn)$/iu.exec(match.trim())?.[1]?.toLowerCase() ?? '';
    return ` ⟪${kind}:${type}⟫ `;
  };
  text = text
    .replace(WHOLE_MARKER, token('WHOLE'))
    .replace(PART_MARKER, (match: string, population: string | undefined) =>
      token(population ? 'PARTPOP' : 'PART')(match),
    )
    .replace(REST_MARKER, token('REST'))
    .replace(AFTER_REORGANISATION, '');

  const mentions: MergerMention[] = [];
  let share: 'whole' | 'part' = 'whole';
  let wholePopulation = false;
  let contextType: string | undefined;
  for (const rawItem of text.split(/\s*,\s*|\s+và\s+/u)) {
    let item = rawItem.trim().replace(/^và\s+/u, '');
    for (;;) {
      const marker = /^⟪(\w+):([^⟫]*)⟫\s*/u.exec(item);
      if (!marker) break;
      const kind = marker[1]!;
      share = kind === 'WHOLE' ? 'whole' : 'part';
      wholePopulation = kind === 'PARTPOP';
      contextType = marker[2] === '' ? contextType : marker[2];
      item = item.slice(marker[0].length).replace(/^và\s+/u, '');
    }
    if (item === '' || /^⟪/.test(item)) continue;
    const written = item.replace(/⟦(\d+)⟧/g, (_, n: string) => `(${parens[Number(n)]})`);
    let district: string | undefined;
    let districtProvince: string | undefined;
    const notes: string[] = [];
    const remainderAfter: string[] = [];
    let itemShare = share;
    const bare = item
      .replace(/⟦(\d+)⟧/g, (_, n: string) => {
        const inner = parens[Number(n)]!;
        const remainder = REMAINDER_PAREN.exec(inner);
        const inDistrict = DISTRICT_PAREN.exec(inner);
        if (remainder) {
          itemShare = 'part';
          remainderAfter.push(...remainder[1]!.split(/\s*,\s*|\s+và\s+/u).filter((s) => s !== ''));
        } else if (PART_PAREN.test(inner)) {
          itemShare = 'part';
        } else if (inDistrict) {
          district = inDistrict[1]!.trim();
          districtProvince = inDistrict[2]?.trim();
        } else {
          notes.push(inner);
        }
        return ' ';
      })
      .replace(/\s+/g, ' ')
      .trim()
      .replace(/^các\s+/iu, '');
    const typed = splitType(bare);
    let type = typed.type;
    const typeFromContext = type === undefined && contextType !== undefined;
    if (type === undefined) type = contextType;
    else if ((COMMUNE_TYPES as readonly string[]).includes(type)) contextType = type;
    mentions.push({
      written: written.replace(/\s+/g, ' ').trim(),
      type,
      typeFromContext,
      name: dedupeRepeatedName(typed.name),
      district,
      districtProvince,
      notes,
      share: itemShare,
      wholePopulation: itemShare === 'part' && wholePopulation,
      remainderAfter,
    });
  }
  return { kind: 'formed', mentions };
}

/** "Xã Vầy Nưa" → xã, "Vầy Nưa"; "xã Xã Vầy Nưa" too; "Thôn Mịch A" → area. */
function splitType(item: string): { type: string | undefined; name: string } {
  let rest = item;
  let type: string | undefined;
  for (;;) {
    const lower = rest.toLowerCase();
    const word = [...COMMUNE_TYPES, ...DISTRICT_TYPES, 'đặc khu'].find((t) => lower.startsWith(`${t} `));
    if (word === undefined) break;
    type = word;
    rest = rest.slice(word.length).trim();
  }
  if (type === undefined) {
    const lower = rest.toLowerCase();
    if (AREA_WORDS.some((w) => lower.startsWith(`${w} `))) return { type: 'area', name: rest };
  }
  return { type, name: rest };
}

/** "Yên Định Xã Yên Định" (a name written twice) → "Yên Định". */
function dedupeRepeatedName(name: string): string {
  const twice = /^(.+?) (?:xã|phường|thị trấn) (.+)$/iu.exec(name);
  return twice && spellingKey(twice[1]!) === spellingKey(twice[2]!) ? twice[1]! : name;
}

export const isCommuneType = (type: string | undefined): boolean =>
  type !== undefined && (COMMUNE_TYPES as readonly string[]).includes(type);
export const isDistrictType = (type: string | undefined): boolean =>
  type !== undefined && (DISTRICT_TYPES as readonly string[]).includes(type);
