import { LdsError } from './errors.js';

/** Doc 9303 Part 10 §4.6: the tag that opens each elementary file of the eMRTD application. */
export const EF_COM_TAG = 0x60;
export const EF_SOD_TAG = 0x77;

const DATA_GROUP_TAGS: readonly number[] = [
  0x61, 0x75, 0x63, 0x76, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70,
];

export function dataGroupTag(dataGroup: number): number {
  const tag = DATA_GROUP_TAGS[dataGroup - 1];
  if (tag === undefined) throw new LdsError(`there is no data group ${dataGroup}`);
  return tag;
}

export function dataGroupNumber(tag: number): number {
  const index = DATA_GROUP_TAGS.indexOf(tag);
  if (index < 0) throw new LdsError(`tag 0x${tag.toString(16)} opens no data group`);
  return index + 1;
}
