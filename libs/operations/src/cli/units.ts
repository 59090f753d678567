import {
  ADMINISTRATIVE_MAP_DATES,
  ADMINISTRATIVE_UNITS,
  CalendarDate,
  DomainValidationError,
  findUnitsByCode,
  findUnitsByName,
  type AdministrativeUnit,
  type UnitLevel,
  type UnitRecord,
} from '@cancuoc/identity';
import { parse, text } from './args.js';
import { CliError, EXIT, type CliCommand } from './command.js';
import { command } from './run.js';

const USAGE = `Usage: cancuoc units <code|name> [--on YYYY-MM-DD] [--level province|commune] [--json]

Looks an administrative unit up in the official lists libs/identity holds (the maps in force from
1 March 2025, 1 July 2025 and 30 April 2026, and the 2025 succession): offline, nothing is called.
  <code>   3 digits a province (the personal-ID prefix, 079), 5 a commune (GSO, 25747): every
           version that code has had (codes are reused: check the names)
  <name>   diacritics, case and the unit's type ignored: "thu dau mot", "Phường Thủ Dầu Một"
For each version: its province (and district before 2025), the days it was in force and the maps it
is in, the units it took territory from and those that took its territory, and where it lies today
("divided" when several communes share it: an address there needs recoding by a clerk).

  --on DATE     only the versions in force that day
  --level L     only provinces or only communes
  --json        one JSON object: {"units": [...]}

Exit 0 when a unit was found, 1 when none matches, 2 for a wrong command line.
`;

const LEVELS: readonly UnitLevel[] = ['province', 'commune'];

/** `Name (code)` with the province, as the lists write them. */
function label(u: AdministrativeUnit): string {
  if (u.level === 'province') return `${u.fullName} (${u.code})`;
  const day = u.validTo ?? u.validFrom ?? CalendarDate.of(2025, 3, 1);
  const province = u.provinceCode && ADMINISTRATIVE_UNITS.resolveUnit(u.provinceCode, day);
  return `${u.fullName} (${u.code})${province ? `, ${province.fullName}` : ''}`;
}

const period = (u: AdministrativeUnit) =>
  `${u.validFrom?.toString() ?? 'before 2025-03-01'} – ${u.validTo?.toString() ?? 'in force'}`;

/** The official maps a version appears in: those in force while it was. */
function mapsOf(u: AdministrativeUnit): string[] {
  return ADMINISTRATIVE_MAP_DATES.filter(
    (d) =>
      (u.validFrom === null || !d.isBefore(u.validFrom)) && (u.validTo === null || !d.isAfter(u.validTo)),
  ).map((d) => d.toString());
}

function describe(record: UnitRecord) {
  const { unit, district } = record;
  const today =
    record.today.kind === 'unit'
      ? { divided: false, units: [record.today.unit] }
      : { divided: true, units: record.today.units };
  return {
    code: unit.code,
    level: unit.level,
    name: unit.fullName,
    label: label(unit),
    provinceCode: unit.provinceCode ?? null,
    district: district ? { code: district.code, name: district.name } : null,
    validFrom: unit.validFrom?.toString() ?? null,
    validTo: unit.validTo?.toString() ?? null,
    maps: mapsOf(unit),
    legalBasis: unit.legalBasis ?? null,
    history: record.history.map((h) => ({ period: period(h), label: label(h), maps: mapsOf(h) })),
    predecessors: record.predecessors.map(label),
    successors: record.successors.map(label),
    today: { divided: today.divided, units: today.units.map(label) },
  };
}

function render(d: ReturnType<typeof describe>): string {
  const list = (items: readonly string[]) => (items.length === 0 ? '-' : items.join('; '));
  const lines = [
    d.label,
    `  ${d.level}, in force ${d.validFrom ?? 'before 2025-03-01'} – ${d.validTo ?? 'today'}; maps: ${list(d.maps)}`,
    ...(d.district ? [`  district before 2025: ${d.district.name} (${d.district.code})`] : []),
    ...(d.legalBasis ? [`  by: ${d.legalBasis}`] : []),
    `  versions of ${d.code}: ${d.history.map((h) => `${h.period} ${h.label}`).join(' | ')}`,
    `  predecessors: ${list(d.predecessors)}`,
    `  successors: ${list(d.successors)}`,
    `  today: ${d.today.divided ? `divided among ${list(d.today.units)} (needs recoding)` : list(d.today.units)}`,
  ];
  return lines.join('\n');
}

export const unitsCommand: CliCommand = command(
  {
    name: 'units',
    summary: 'look an administrative unit up by code or name, with its history',
    usage: USAGE,
  },
  async (argv, io) => {
    const { values, positionals } = parse(argv, {
      on: { type: 'string' },
      level: { type: 'string' },
      json: { type: 'boolean' },
    });
    const query = positionals.join(' ').trim();
    if (query === '') throw new CliError('name a unit: a code or a name', EXIT.usage);
    const level = text(values.level);
    if (level !== undefined && !LEVELS.includes(level as UnitLevel))
      throw new CliError('--level must be province or commune', EXIT.usage);
    let on: CalendarDate | undefined;
    const day = text(values.on);
    if (day !== undefined) {
      try {
        on = CalendarDate.parse(day, 'on');
      } catch (error) {
        if (error instanceof DomainValidationError)
          throw new CliError('--on must be a day, YYYY-MM-DD', EXIT.usage);
        throw error;
      }
    }
    const records = /^\d+$/.test(query)
      ? findUnitsByCode(query, on).filter((r) => level === undefined || r.unit.level === level)
      : findUnitsByName(query, { ...(level && { level: level as UnitLevel }), ...(on && { on }) });
    const described = records.map(describe);
    if (values.json === true) io.stdout(`${JSON.stringify({ units: described })}\n`);
    else if (described.length > 0) io.stdout(`${described.map(render).join('\n\n')}\n`);
    if (described.length === 0) {
      io.stderr(`cancuoc units: no unit ${/^\d+$/.test(query) ? 'has this code' : 'has this name'}\n`);
      return EXIT.failed;
    }
    return EXIT.ok;
  },
);
