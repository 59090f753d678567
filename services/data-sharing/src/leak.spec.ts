/**
 * Tests that would catch a leak. Every field of every citizen holds a value found nowhere else;
 * everything an agency can see — each record on its topics (key, value, headers), each answer and
 * each error of the query API (message, details, trailers) — is searched for values it may not see,
 * and so is every line data sharing logged. Then its terms change under load: narrowed, revoked.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fromBinary, isFieldSet, toBinary, type DescMessage, type Message } from '@bufbuild/protobuf';
import { readErrorDetails, status } from '@cancuoc/grpc';
import { datasharing, partner } from '@cancuoc/proto';
import { CITIZEN_FIELDS, type CitizenField } from './domain/catalogue/fields.js';
import { FIELD_NUMBER } from './infrastructure/partner/codec.js';
import { DELIVERY, F, startHarness, type AgencyClient, type Harness } from './test-support/harness.js';
import { found, markedCitizen, publishMarked, type MarkedCitizen } from './test-support/marked-citizens.js';
import { eventually, PartnerReader, type ReceivedRecord } from './test-support/partner-reader.js';

const ALPHA_FIELDS: CitizenField[] = ['name', 'birth_date', 'vital_status', 'card'];
const BETA_FIELDS: CitizenField[] = ['personal_id', 'ethnicity', 'permanent_residence'];

/** Markers of `c` in the fields not in `allowed` (all of them when `c` is outside the scope). */
function forbidden(c: MarkedCitizen, allowed: readonly CitizenField[], inScope: boolean): string[] {
  const fields = CITIZEN_FIELDS.filter((f) => !inScope || !allowed.includes(f));
  return [...fields.flatMap((f) => c.markers[f]), ...(inScope ? [] : [c.citizenId])];
}

/** Every PartnerCitizen in a record (the compacted topic's value, the change stream's `citizen`). */
function citizensIn(record: ReceivedRecord): partner.PartnerCitizen[] {
  if (record.value === null) return [];
  if (record.topic.endsWith('.citizen.v1')) return [fromBinary(partner.PartnerCitizenSchema, record.value)];
  const change = fromBinary(partner.PartnerCitizenChangedSchema, record.value);
  return change.citizen ? [change.citizen] : [];
}

/** Fields set in a PartnerCitizen that `allowed` does not name: the contract's presence, not values. */
function presentOutside(citizen: partner.PartnerCitizen, allowed: readonly CitizenField[]): CitizenField[] {
  return CITIZEN_FIELDS.filter((f) => {
    const desc = partner.PartnerCitizenSchema.fields.find((d) => d.number === FIELD_NUMBER[f])!;
    return !allowed.includes(f) && isFieldSet(citizen, desc);
  });
}

/** What an agency saw through the query API: answers' bytes and errors' messages, details and trailers. */
class Seen {
  readonly chunks: Buffer[] = [];
  readonly citizens: partner.PartnerCitizen[] = [];

  async call<S extends DescMessage>(schema: S, work: () => Promise<Message>): Promise<number | undefined> {
    try {
      const reply = await work();
      this.chunks.push(Buffer.from(toBinary(schema, reply as never)));
      const r = reply as {
        citizen?: partner.PartnerCitizen;
        results?: { citizen?: partner.PartnerCitizen }[];
      };
      if (r.citizen) this.citizens.push(r.citizen);
      for (const x of r.results ?? []) if (x.citizen) this.citizens.push(x.citizen);
      return undefined;
    } catch (error) {
      const e = error as {
        message?: string;
        details?: string;
        metadata?: { getMap(): Record<string, unknown> };
      };
      this.chunks.push(Buffer.from(`${e.message ?? ''}\n${e.details ?? ''}`));
      for (const value of Object.values(e.metadata?.getMap() ?? {}))
        this.chunks.push(typeof value === 'string' ? Buffer.from(value) : Buffer.from(value as Uint8Array));
      const details = readErrorDetails(error);
      for (const d of details?.details ?? [])
        this.chunks.push(
          Buffer.from(JSON.stringify(d, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))),
        );
      return details?.code;
    }
  }

  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

describe('no field outside a subscription reaches the agency (markers in every field)', () => {
  let h: Harness;
  let alphaTopics: PartnerReader;
  let betaTopics: PartnerReader;
  let alpha: AgencyClient;
  let beta: AgencyClient;
  let betaId: string;
  let alphaId: string;
  const seenByAlpha = new Seen();
  const seenByBeta = new Seen();
  // c0..c3 live in Hà Nội; c4 in Hồ Chí Minh City; c5 in Hà Nội but is dead.
  const citizens = [0, 1, 2, 3].map((i) => markedCitizen(i, { provinceCode: '001' }));
  const elsewhere = markedCitizen(4, { provinceCode: '079' });
  const dead = markedCitizen(5, { provinceCode: '001', dead: true });
  const everyone = [...citizens, elsewhere, dead];
  const alphaInScope = (c: MarkedCitizen) => citizens.includes(c);

  before(async () => {
    h = await startHarness({ agencies: ['alpha', 'beta'] });
    alphaTopics = await PartnerReader.start(h.broker.bootstrapServers, 'alpha');
    betaTopics = await PartnerReader.start(h.broker.bootstrapServers, 'beta');
    alpha = await h.agency('alpha');
    beta = await h.agency('beta');
    for (const c of everyone) await publishMarked(h.upstream, c);
    for (const c of everyone) await h.projected(c.citizenId, 1);
    alphaId = (
      await h.subscribe({
        agency: 'alpha',
        agencyName: 'Agency Alpha',
        purpose: 'alpha-pensions',
        purposeDescription: 'pension payments',
        legalBasis: 'Luật Bảo hiểm xã hội 2024',
        terms: {
          fields: [F.NAME, F.BIRTH_DATE, F.VITAL_STATUS, F.CARD],
          scope: { provinceCodes: ['001'], aliveOnly: true },
          delivery: DELIVERY.KAFKA_AND_GRPC,
        },
      })
    ).subscriptionId;
    betaId = (
      await h.subscribe({
        agency: 'beta',
        agencyName: 'Agency Beta',
        purpose: 'beta-ethnic-policy',
        purposeDescription: 'ethnic minority support',
        legalBasis: 'Nghị định 05/2011',
        terms: {
          fields: [F.PERSONAL_ID, F.ETHNICITY, F.PERMANENT_RESIDENCE],
          sensitiveFieldBases: [{ field: F.ETHNICITY, legalBasis: 'Nghị định 05/2011, Điều 4' }],
          scope: {},
          delivery: DELIVERY.KAFKA_AND_GRPC,
        },
      })
    ).subscriptionId;
    await eventually('alpha’s back-fill on its topics', () => alphaTopics.latest().size === citizens.length);
    await eventually('beta’s back-fill on its topics', () => betaTopics.latest().size === everyone.length);
  });
  after(async () => {
    await alphaTopics?.stop();
    await betaTopics?.stop();
    await h?.close();
  });

  it('puts on each agency’s topics the allowed fields of the citizens in its scope, and nothing else', () => {
    for (const [reader, allowed, inScope] of [
      [alphaTopics, ALPHA_FIELDS, alphaInScope],
      [betaTopics, BETA_FIELDS, () => true],
    ] as const) {
      const bytes = Buffer.concat(reader.records.map((r) => r.bytes));
      for (const c of everyone) {
        assert.deepEqual(
          found(bytes, forbidden(c, allowed, inScope(c))),
          [],
          `forbidden values of citizen ${c.init.personalId}`,
        );
        if (inScope(c))
          for (const f of allowed)
            for (const m of c.markers[f])
              assert.ok(bytes.includes(m), `${f} of an in-scope citizen is delivered`);
      }
      for (const record of reader.records)
        for (const citizen of citizensIn(record)) assert.deepEqual(presentOutside(citizen, allowed), []);
    }
    const beta5 = fromBinary(partner.PartnerCitizenSchema, betaTopics.latest().get(dead.citizenId)!.value!);
    assert.equal(beta5.vitalStatus, undefined, 'beta covers the dead but may not learn that they died');
  });

  it('answers queries with allowed fields only, and says nothing in its errors', async () => {
    const call = (client: AgencyClient, seen: Seen, purpose: string) =>
      Promise.all([
        ...everyone.map((c) =>
          seen.call(datasharing.GetCitizenResponseSchema, () =>
            client.getCitizen({ purpose, citizen: { key: { case: 'citizenId', value: c.citizenId } } }),
          ),
        ),
        seen.call(datasharing.BatchGetCitizensResponseSchema, () =>
          client.batchGetCitizens({
            purpose,
            citizens: everyone.map((c) => ({ key: { case: 'citizenId' as const, value: c.citizenId } })),
          }),
        ),
      ]);
    await call(alpha, seenByAlpha, 'alpha-pensions');
    await call(beta, seenByBeta, 'beta-ethnic-policy');
    // Refusals, each naming a citizen the agency may not see or a field it may not use.
    const refusals = await Promise.all([
      seenByAlpha.call(datasharing.GetCitizenResponseSchema, () =>
        alpha.getCitizen({
          purpose: 'alpha-pensions',
          citizen: { key: { case: 'personalId', value: elsewhere.init.personalId! } },
        }),
      ),
      seenByAlpha.call(datasharing.VerifyIdentityResponseSchema, () =>
        alpha.verifyIdentity({
          purpose: 'alpha-pensions',
          personalId: citizens[0]!.init.personalId!,
          // A well-formed code (a marker is not one: INVALID_ARGUMENT before the subscription is read).
          claimed: { nationality: 'VNM' },
        }),
      ),
      seenByAlpha.call(datasharing.GetCitizenResponseSchema, () =>
        alpha.getCitizen({
          purpose: 'another-purpose',
          citizen: { key: { case: 'citizenId', value: citizens[0]!.citizenId } },
        }),
      ),
      seenByBeta.call(datasharing.VerifyIdentityResponseSchema, () =>
        beta.verifyIdentity({
          purpose: 'beta-ethnic-policy',
          personalId: dead.init.personalId!,
          claimed: { fullName: 'FAMQ5Z MIDQ5Z GIVQ5Z' },
        }),
      ),
      seenByAlpha.call(datasharing.GetCitizenResponseSchema, () =>
        alpha.getCitizen({
          purpose: 'alpha-pensions',
          citizen: { key: { case: 'citizenId', value: dead.citizenId } },
        }),
      ),
    ]);
    assert.deepEqual(refusals, [
      status.PERMISSION_DENIED,
      status.PERMISSION_DENIED,
      status.PERMISSION_DENIED,
      status.PERMISSION_DENIED,
      status.NOT_FOUND,
    ]);
    for (const [seen, allowed, inScope] of [
      [seenByAlpha, ALPHA_FIELDS, alphaInScope],
      [seenByBeta, BETA_FIELDS, () => true],
    ] as const) {
      for (const c of everyone)
        assert.deepEqual(
          found(seen.bytes, forbidden(c, allowed, inScope(c))),
          [],
          `in answers about ${c.init.personalId}`,
        );
      for (const citizen of seen.citizens) assert.deepEqual(presentOutside(citizen, allowed), []);
    }
    assert.equal(
      seenByAlpha.citizens.length,
      citizens.length * 2,
      'each in-scope citizen, alone and in the batch',
    );
  });

  it('sends nothing for a change to a field the agency may not see', async () => {
    const c = citizens[1]!;
    await h.received(alphaTopics, 'alpha');
    const before = alphaTopics.records.filter((r) => r.key === c.citizenId).length;
    await h.upstream.publish(
      h.upstream.citizenRecord(c.citizenId, { ...c.init, religion: 'RELNEWQ1Z', nationality: 'NATNEWQ1Z' }),
    );
    await h.projected(c.citizenId, 2);
    await h.settled();
    await h.received(alphaTopics, 'alpha');
    assert.equal(alphaTopics.records.filter((r) => r.key === c.citizenId).length, before);
  });

  it('after a narrowing returns, sends no record with the removed field, and rewrites every record without it', async () => {
    const { subscription } = await h.requester.changeSubscription({
      subscriptionId: alphaId,
      reason: 'data minimisation: the card is no longer needed',
      terms: {
        fields: [F.NAME, F.BIRTH_DATE, F.VITAL_STATUS],
        scope: { provinceCodes: ['001'], aliveOnly: true },
        delivery: DELIVERY.KAFKA_AND_GRPC,
      },
    });
    const narrowedAt = Date.now();
    assert.equal(subscription?.pendingChange, undefined, 'a narrowing needs no approval');
    const answer = await alpha.getCitizen({
      purpose: 'alpha-pensions',
      citizen: { key: { case: 'citizenId', value: citizens[0]!.citizenId } },
    });
    assert.equal(answer.citizen?.card, undefined, 'the next answer is already narrowed');
    const c = citizens[0]!;
    await h.upstream.publish(
      h.upstream.card(c.citizenId, {
        cardId: 'replacement-card',
        version: 1,
        documentNumber: 'CARDNEWQ0Z',
        issueDate: '2026-11-01',
      }),
      h.upstream.citizenRecord(c.citizenId, { ...c.init, givenName: 'GIVNEWQ0Z' }),
    );
    await eventually('the new name on alpha’s topic', () =>
      alphaTopics.citizenRecords().some((r) => r.bytes.includes('GIVNEWQ0Z')),
    );
    await h.settled();
    const after = alphaTopics.records.filter((r) => r.timestamp > narrowedAt);
    const cardMarkers = citizens.flatMap((x) => x.markers.card).concat('CARDNEWQ0Z');
    assert.deepEqual(found(Buffer.concat(after.map((r) => r.bytes)), cardMarkers), []);
    assert.deepEqual(found(Buffer.concat(alphaTopics.records.map((r) => r.bytes)), ['CARDNEWQ0Z']), []);
    for (const record of alphaTopics.latest().values()) {
      const latest = fromBinary(partner.PartnerCitizenSchema, record.value!);
      assert.equal(latest.card, undefined, 'compaction keeps no card');
      assert.deepEqual(latest.sharedFields, [F.NAME, F.BIRTH_DATE, F.VITAL_STATUS]);
    }
  });

  it('after a revocation returns, refuses every query and publishes only tombstones, even under load', async () => {
    let n = 0;
    let revokedAt = Infinity;
    let stop = false;
    const load = (async () => {
      while (!stop) {
        const c = citizens[n % citizens.length]!;
        const marker = Date.now() > revokedAt ? `ETHAFTERQ${n}Z` : `ETHLOADQ${n}Z`;
        await h.upstream.publish(
          h.upstream.citizenRecord(c.citizenId, { ...c.init, givenName: 'GIVNEWQ0Z', ethnicity: marker }),
        );
        n += 1;
        await new Promise((r) => setTimeout(r, 40));
      }
    })();
    await eventually('load to reach beta’s topic', () =>
      betaTopics.records.some((r) => r.bytes.includes('ETHLOADQ')),
    );
    await h.approver.revokeSubscription({ subscriptionId: betaId, reason: 'the legal basis expired' });
    revokedAt = Date.now();
    assert.equal(
      await seenByBeta.call(datasharing.GetCitizenResponseSchema, () =>
        beta.getCitizen({
          purpose: 'beta-ethnic-policy',
          citizen: { key: { case: 'citizenId', value: citizens[0]!.citizenId } },
        }),
      ),
      status.PERMISSION_DENIED,
    );
    await new Promise((r) => setTimeout(r, 1_500));
    stop = true;
    await load;
    await h.settled();
    const keys = new Set(betaTopics.citizenRecords().map((r) => r.key));
    await eventually('a tombstone as the latest record of every citizen beta had', () =>
      [...keys].every((k) => betaTopics.latest().get(k)?.value === null),
    );
    const after = betaTopics.records.filter((r) => r.timestamp > revokedAt);
    assert.ok(after.length >= keys.size, 'the tombstones came after the revocation');
    for (const r of after) {
      if (r.topic.endsWith('.citizen.v1'))
        assert.equal(r.value, null, 'only tombstones after the revocation');
      else {
        const change = fromBinary(partner.PartnerCitizenChangedSchema, r.value!);
        assert.equal(change.kind, partner.PartnerChangeKind.LEFT_SCOPE);
        assert.equal(change.citizen, undefined);
      }
    }
    assert.deepEqual(found(Buffer.concat(betaTopics.records.map((r) => r.bytes)), ['ETHAFTERQ']), []);
  });

  it('logs no personal data', () => {
    const logs = Buffer.from(h.logs.join(''));
    const values = everyone.flatMap((c) => CITIZEN_FIELDS.flatMap((f) => c.markers[f]));
    assert.deepEqual(
      found(logs, [...values, 'GIVNEWQ0Z', 'CARDNEWQ0Z', 'ETHLOADQ', 'ETHAFTERQ', 'RELNEWQ1Z']),
      [],
    );
  });
});
