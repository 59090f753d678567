import { createHash } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import type { RecordedEvent } from '@cancuoc/eventstore';
import { relayedRecords, type IntegrationEvent, type OutgoingRecord } from '@cancuoc/messaging';
import { ChangeKind, CitizenRecordChangedSchema, Sex } from '@cancuoc/proto';
import type { CitizenRegistered } from '../eventstore/payload.js';
import type { Prepared } from './workload.js';

/** `ce_source` of every record. */
export const SOURCE = '/cancuoc/registry';
export const TYPES = new Map([[CitizenRecordChangedSchema.typeName, CitizenRecordChangedSchema]]);

/**
 * The relay's mapping: a recorded `CitizenRegistered` (the event-store benchmark's payload) becomes
 * the register's integration event, a `CitizenRecordChanged` keyed by the citizen's stream.
 */
export function citizenMapper(topic: string) {
  return (event: RecordedEvent): IntegrationEvent[] => {
    const data = event.data as CitizenRegistered;
    const [familyName = '', ...given] = data.fullName.split(' ');
    return [
      {
        topic,
        schema: CitizenRecordChangedSchema,
        data: create(CitizenRecordChangedSchema, {
          citizenId: event.streamId,
          recordVersion: BigInt(event.streamVersion),
          changeKind: event.streamVersion === 1 ? ChangeKind.REGISTERED : ChangeKind.CORRECTED,
          citizen: {
            personalId: data.personalIdNumber,
            familyName,
            givenName: given.join(' '),
            birthDate: data.birthDate,
            sex: data.sex === 'F' ? Sex.FEMALE : Sex.MALE,
            nationality: 'VNM',
            ethnicity: data.ethnicity,
            permanentResidence: { provinceCode: '79', communeCode: '26734', detail: data.street },
          },
        }),
      },
    ];
  };
}

/** The records the relay sends for `event`, built by the relay's own function. */
export function recordsOf(
  event: RecordedEvent,
  map: (event: RecordedEvent) => readonly IntegrationEvent[],
): OutgoingRecord[] {
  return relayedRecords(event, map(event), SOURCE);
}

/** Fingerprint and sizes of a record list, to show that both systems send the same bytes. */
export function summarise(records: readonly OutgoingRecord[]): Prepared {
  const hash = createHash('sha256');
  let keyBytes = 0;
  let valueBytes = 0;
  let headerBytes = 0;
  let headers = 0;
  for (const r of records) {
    hash.update(`${r.topic}\0${r.key}\0`);
    if (r.value) hash.update(r.value);
    keyBytes += Buffer.byteLength(r.key);
    valueBytes += r.value?.byteLength ?? 0;
    for (const [name, value] of Object.entries(r.headers)) {
      hash.update(`\0${name}=${value}`);
      headerBytes += Buffer.byteLength(name) + Buffer.byteLength(value);
      headers += 1;
    }
    hash.update('\n');
  }
  return {
    kind: 'prepared',
    records: records.length,
    digest: hash.digest('hex'),
    keyBytes,
    valueBytes,
    headerBytes,
    headers,
  };
}
