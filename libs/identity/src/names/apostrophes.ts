/**
 * The apostrophe and the characters typed for it (’ ʼ ‘ ` ´), common in names of Central Highlands
 * peoples (H’Hen). Global: use with `replace`.
 */
export const APOSTROPHES = /['\u2018\u2019\u02BC\u0060\u00B4]/g;
