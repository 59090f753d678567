export * from './errors.js';
export type { Sex } from './sex.js';

export * from './dates/calendar-date.js';
export * from './dates/age.js';

export * from './card/validity-rules.js';
export * from './card/card-validity.js';

export * from './personal-id/century-sex.js';
export * from './personal-id/personal-id.js';

export * from './admin-units/administrative-unit.js';
export * from './admin-units/administrative-units.js';
export * from './admin-units/provinces.js';
export * from './admin-units/communes-sample.js';
export * from './admin-units/reference-data.js';

export * from './names/normalize.js';
export * from './names/transliterate.js';
export * from './names/split.js';
export * from './names/comparison-key.js';

export * from './reference/reference-list.js';
export * from './reference/nationalities.js';
export * from './reference/ethnic-groups.js';
export * from './reference/religions.js';
export * from './paging/page-token.js';
