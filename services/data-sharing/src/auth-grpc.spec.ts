/**
 * Who may call data sharing, through real clients on mutual TLS (PostgreSQL, Redis, in-process
 * transport): every RPC of the administrators' services refused to agencies, stations, services
 * and callers without a role; the agencies' queries refused to everyone but agencies; tokens from
 * elsewhere, expired, for another service or of the old shared-secret scheme refused as
 * unauthenticated; and an agency reading only through its own subscription, for its own purpose.
 */
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { DescMessage, DescService } from '@bufbuild/protobuf';
import { bearerFor, DevelopmentIssuer, DEVELOPMENT_ISSUER, identities, type Identity } from '@cancuoc/auth';
import { readErrorDetails, status } from '@cancuoc/grpc';
import { datasharing, operations } from '@cancuoc/proto';
import { DELIVERY, F, startHarness, type AgencyClient, type Harness } from './test-support/harness.js';
import { citizenInit } from './test-support/upstream.js';

const code = (e: unknown) => readErrorDetails(e)?.code;
const reason = (e: unknown) => readErrorDetails(e)?.errorInfo?.reason;
const byId = (value: string) => ({ key: { case: 'citizenId' as const, value } });
const byNumber = (value: string) => ({ key: { case: 'personalId' as const, value } });
/** What a refusal tells the caller: everything of it, to compare two refusals. */
const refusal = async (call: Promise<unknown>) => {
  const error = await call.then(
    () => assert.fail('the call was answered'),
    (e: unknown) => e,
  );
  const d = readErrorDetails(error)!;
  return { code: d.code, message: d.message, reason: d.errorInfo?.reason, metadata: d.errorInfo?.metadata };
};

/** The services only administrators may call (the platform policy). */
const ADMINISTRATORS_ONLY: readonly DescService[] = [
  datasharing.SubscriptionService,
  datasharing.DataProtectionService,
  datasharing.OperationsService,
  operations.OperationsService,
];

const roleless: Identity = { subject: 'person:nobody', kind: 'person', roles: [] };
/** Callers that are not administrators; each refused on every RPC of those services. */
const NOT_ADMINISTRATORS: Record<string, Identity> = {
  agency: identities.agency('refused-agency'),
  'encoding station': identities.encodingStation('enc-1'),
  'enrollment station': identities.enrollmentStation('hn-07'),
  'registry service': identities.service('registry'),
  'data sharing itself': identities.service('data-sharing'),
  'person without a role': roleless,
  clerk: identities.clerk('c-1', '01', { national: true }),
};
/** Callers that are not agencies; each refused on every RPC of AgencyQueryService. */
const NOT_AGENCIES: Record<string, Identity> = {
  administrator: identities.administrator('refused-admin'),
  'encoding station': identities.encodingStation('enc-1'),
  'enrollment station': identities.enrollmentStation('hn-07'),
  'registry service': identities.service('registry'),
  'data sharing itself': identities.service('data-sharing'),
  'person without a role': roleless,
  'agency without the agency role': { ...identities.agency('roleless-agency'), roles: [] },
};

/** Calls every RPC of `service` with an empty request and returns each one's status code. */
async function everyRpc(client: object, service: DescService): Promise<Record<string, number | undefined>> {
  const codes: Record<string, number | undefined> = {};
  for (const method of service.methods) {
    assert.equal(method.methodKind, 'unary', `${method.name}: only unary RPCs here`);
    const call = (client as unknown as Record<string, (request: object) => Promise<unknown>>)[
      method.localName
    ]!;
    codes[method.name] = await call({}).then(
      () => status.OK,
      (e: unknown) => code(e),
    );
  }
  return codes;
}

/** A compact JWS signed with HMAC-SHA256, as the old shared-secret tokens were. */
function hs256Token(secret: string, claims: Record<string, unknown>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signed = `${part({ alg: 'HS256', typ: 'JWT', kid: 'shared-secret' })}.${part(claims)}`;
  return `${signed}.${createHmac('sha256', secret).update(signed).digest('base64url')}`;
}

/** Every field name of `message`, and of the messages within it, at any depth. */
function fieldNames(message: DescMessage, seen = new Set<string>()): string[] {
  if (seen.has(message.typeName)) return [];
  seen.add(message.typeName);
  return message.fields.flatMap((f) => [
    `${message.typeName}.${f.name}`,
    ...(f.message ? fieldNames(f.message, seen) : []),
  ]);
}

describe('who may call data sharing (mutual TLS, PostgreSQL, Redis, in-process transport)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ agencies: [], kafka: false });
  });
  after(() => h?.close());

  it('refuses every RPC of the administrators’ services to agencies, stations, services and role-less callers', async () => {
    const [before] = await h.running.db.query<{ n: string }>('SELECT count(*)::text AS n FROM es_events');
    for (const [who, identity] of Object.entries(NOT_ADMINISTRATORS)) {
      for (const service of ADMINISTRATORS_ONLY) {
        const client = await h.client(service, identity);
        const codes = await everyRpc(client, service);
        assert.deepEqual(
          codes,
          Object.fromEntries(service.methods.map((m) => [m.name, status.PERMISSION_DENIED])),
          `${who} on ${service.typeName}`,
        );
      }
    }
    const [afterwards] = await h.running.db.query<{ n: string }>('SELECT count(*)::text AS n FROM es_events');
    assert.equal(afterwards!.n, before!.n, 'refused before any handler ran: nothing recorded');
    // The administrators themselves pass the guard (their empty requests fail, or succeed, on their own).
    const admin = await h.client(datasharing.SubscriptionService, identities.administrator('an'));
    assert.equal((await admin.listCitizenFields({})).fields.length, 18);
  });

  it('refuses every RPC of AgencyQueryService to administrators, stations, services and role-less callers', async () => {
    for (const [who, identity] of Object.entries(NOT_AGENCIES)) {
      const client = await h.client(datasharing.AgencyQueryService, identity);
      const codes = await everyRpc(client, datasharing.AgencyQueryService);
      assert.deepEqual(
        codes,
        Object.fromEntries(
          datasharing.AgencyQueryService.methods.map((m) => [m.name, status.PERMISSION_DENIED]),
        ),
        who,
      );
    }
    // An agency passes the guard: its empty request is the handler's to refuse.
    const agency = await h.agency('passes-the-guard');
    await assert.rejects(agency.getCitizen({}), (e) => code(e) === status.INVALID_ARGUMENT);
  });

  it('answers UNAUTHENTICATED to tokens from elsewhere, expired, for another service or of the shared-secret scheme', async () => {
    const agency = identities.agency('bhxh');
    const { issuer } = h.credentials;
    const now = Math.floor(Date.now() / 1000);
    const foreign = await DevelopmentIssuer.inMemory('https://id.elsewhere.example');
    const sameNameOtherKeys = await DevelopmentIssuer.inMemory(DEVELOPMENT_ISSUER);
    const tokens: Record<string, string | null> = {
      'no token': null,
      'not a JWT': 'Bearer not-a-token',
      'a foreign issuer': (await bearerFor(foreign, agency, 'data-sharing')).authorization,
      'the issuer’s name with other keys': (await bearerFor(sameNameOtherKeys, agency, 'data-sharing'))
        .authorization,
      expired: (await bearerFor(issuer, agency, 'data-sharing', -300)).authorization,
      'another service’s audience': (await bearerFor(issuer, agency, 'registry')).authorization,
      'the old HS256 shared-secret scheme': `Bearer ${hs256Token(
        'data-sharing-test-secret-0123456789-abcdef',
        {
          iss: DEVELOPMENT_ISSUER,
          aud: 'data-sharing',
          sub: agency.subject,
          kind: 'agency',
          roles: ['agency'],
          agency: 'bhxh',
          iat: now,
          exp: now + 600,
          jti: randomUUID(),
        },
      )}`,
    };
    for (const [what, authorization] of Object.entries(tokens)) {
      const client = await h.client(datasharing.AgencyQueryService, agency, { authorization });
      const error = await client.getCitizen({ purpose: 'p', citizen: byId(randomUUID()) }).then(
        () => assert.fail(`${what}: answered`),
        (e: unknown) => e,
      );
      assert.equal(code(error), status.UNAUTHENTICATED, what);
      // The same answer whatever the reason: the reason is the log's and the metric's.
      if (authorization !== null) assert.equal(reason(error), 'INVALID_TOKEN', what);
    }
    // A valid token over a connection whose certificate is another agency's.
    const stolen = await h.client(datasharing.AgencyQueryService, agency, { certificateOf: 'agency:other' });
    await assert.rejects(
      stolen.getCitizen({ purpose: 'p', citizen: byId(randomUUID()) }),
      (e) => code(e) === status.UNAUTHENTICATED && reason(e) === 'CERTIFICATE_MISMATCH',
    );
    // Each refusal is a warning line of data sharing's own log, with why and who, and no request data.
    const refused = h.logs
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((l) => l['msg'] === 'auth.refused' && l['outcome'] === 'unauthenticated');
    assert.ok(refused.every((l) => l['level'] === 'warn' && l['service'] === 'data-sharing'));
    for (const expected of [
      'MISSING_TOKEN',
      'MALFORMED',
      'UNKNOWN_KEY',
      'TOKEN_EXPIRED',
      'CLAIM_AUD',
      'ALGORITHM_NOT_ALLOWED',
      'CERTIFICATE_MISMATCH',
    ])
      assert.ok(
        refused.some((l) => l['reason'] === expected),
        `${expected} logged: ${JSON.stringify(refused.map((l) => l['reason']))}`,
      );
    assert.ok(!h.logs.some((line) => line.includes('Bearer')), 'no token in the log');
  });

  describe('an agency reads only through its own subscription, for its own purpose', () => {
    const north = randomUUID();
    const south = randomUUID();
    let alpha: AgencyClient;
    let beta: AgencyClient;
    let gamma: AgencyClient;
    before(async () => {
      await h.upstream.publish(
        h.upstream.citizenRecord(north, citizenInit({ personalId: '001190000701', givenName: 'Bắc' })),
        h.upstream.citizenRecord(
          south,
          citizenInit({
            personalId: '079190000702',
            givenName: 'Nam',
            permanentResidence: { provinceCode: '079', communeCode: '26734', detail: '' },
          }),
        ),
      );
      await h.projected(north, 1);
      await h.projected(south, 1);
      // alpha: names in Hà Nội; beta: more fields, the whole country. gamma has no subscription.
      await h.subscribe({
        agency: 'alpha',
        agencyName: 'Alpha',
        purpose: 'alpha-purpose',
        purposeDescription: 'testing',
        legalBasis: 'Điều 1',
        terms: { fields: [F.NAME], scope: { provinceCodes: ['001'] }, delivery: DELIVERY.GRPC },
      });
      await h.subscribe({
        agency: 'beta',
        agencyName: 'Beta',
        purpose: 'beta-purpose',
        purposeDescription: 'testing',
        legalBasis: 'Điều 2',
        terms: { fields: [F.PERSONAL_ID, F.NAME, F.BIRTH_DATE], scope: {}, delivery: DELIVERY.GRPC },
      });
      alpha = await h.agency('alpha');
      beta = await h.agency('beta');
      gamma = await h.agency('gamma');
    });

    it('no request field can name an agency or a subscription: the token’s agency claim selects it', async () => {
      const names = datasharing.AgencyQueryService.methods.flatMap((m) => fieldNames(m.input));
      assert.ok(names.length > 0);
      const selectors = names.filter((n) => /\.(agency|agency_code|subscription|subscription_id)$/.test(n));
      assert.deepEqual(selectors, []);
      // The claim, not the subject's spelling: a client registered as `agency:alpha-gateway` for
      // agency alpha (a subject of the platform's CA is always `kind:name`).
      const gateway = await h.client(datasharing.AgencyQueryService, {
        ...identities.agency('alpha'),
        subject: 'agency:alpha-gateway',
      });
      const reply = await gateway.getCitizen({ purpose: 'alpha-purpose', citizen: byId(north) });
      assert.equal(reply.citizen?.name?.givenName, 'Bắc');
      const entries = await h.running.audit.forSubject(north);
      assert.ok(entries.some((e) => e.actor === 'agency:alpha' && e.purpose === 'alpha-purpose'));
    });

    it('beta reads what its subscription allows (the reads alpha is refused below)', async () => {
      const reply = await beta.getCitizen({ purpose: 'beta-purpose', citizen: byNumber('079190000702') });
      assert.equal(reply.citizen?.name?.givenName, 'Nam');
      assert.equal(reply.citizen?.birthDate, '1990-05-17');
      assert.equal(
        (
          await beta.verifyIdentity({
            purpose: 'beta-purpose',
            personalId: '001190000701',
            claimed: { birthDate: '1990-05-17' },
          })
        ).match,
        true,
      );
    });

    it('alpha cannot read what only beta’s subscription allows, and learns nothing of beta from trying', async () => {
      // Beta's purpose: PERMISSION_DENIED, exactly as for a purpose nobody has.
      const asBeta = await refusal(alpha.getCitizen({ purpose: 'beta-purpose', citizen: byId(south) }));
      const asNobody = await refusal(alpha.getCitizen({ purpose: 'no-such-purpose', citizen: byId(south) }));
      assert.deepEqual(asBeta, asNobody);
      assert.equal(asBeta.code, status.PERMISSION_DENIED);
      assert.equal(asBeta.reason, 'PURPOSE_MISMATCH');
      assert.deepEqual(
        await refusal(alpha.batchGetCitizens({ purpose: 'beta-purpose', citizens: [byId(north)] })),
        await refusal(alpha.batchGetCitizens({ purpose: 'no-such-purpose', citizens: [byId(north)] })),
      );
      // A citizen only beta's scope covers: NOT_FOUND, exactly as one who does not exist.
      const outside = await refusal(alpha.getCitizen({ purpose: 'alpha-purpose', citizen: byId(south) }));
      const nobody = await refusal(
        alpha.getCitizen({ purpose: 'alpha-purpose', citizen: byId(randomUUID()) }),
      );
      assert.deepEqual(outside, nobody);
      assert.equal(outside.code, status.NOT_FOUND);
      const batch = await alpha.batchGetCitizens({
        purpose: 'alpha-purpose',
        citizens: [byId(north), byId(south)],
      });
      assert.deepEqual(
        batch.results.map((r) => r.citizen?.citizenId),
        [north, undefined],
      );
      assert.equal(batch.results[0]!.citizen?.birthDate, undefined, 'alpha’s fields only, not beta’s');
      // Fields only beta receives: refused for alpha's own subscription's sake, naming alpha's gap.
      const byItsNumber = await refusal(
        alpha.getCitizen({ purpose: 'alpha-purpose', citizen: byNumber('001190000701') }),
      );
      assert.equal(byItsNumber.code, status.PERMISSION_DENIED);
      assert.equal(byItsNumber.reason, 'FIELD_NOT_ALLOWED');
      assert.equal(byItsNumber.metadata?.['fields'], 'personal_id');
      const claim = await refusal(
        alpha.verifyIdentity({
          purpose: 'alpha-purpose',
          personalId: '001190000701',
          claimed: { birthDate: '1990-05-17' },
        }),
      );
      assert.equal(claim.reason, 'FIELD_NOT_ALLOWED');
      assert.equal(claim.metadata?.['fields'], 'personal_id,birth_date');
      // No subscription of its own: the same refusal with beta's purpose as with any other.
      assert.deepEqual(
        await refusal(gamma.getCitizen({ purpose: 'beta-purpose', citizen: byId(south) })),
        await refusal(gamma.getCitizen({ purpose: 'gamma-purpose', citizen: byId(south) })),
      );
      // Nothing was disclosed to alpha about the citizen only beta may see.
      const entries = await h.running.audit.forSubject(south);
      assert.ok(!entries.some((e) => e.actor === 'agency:alpha' || e.actor === 'agency:gamma'));
      // Each attempt is one of alpha's refusals, logged by reason without the request's contents.
      const refused = h.logs
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((l) => l['msg'] === 'auth.refused' && l['caller.subject'] === 'agency:alpha');
      assert.deepEqual([...new Set(refused.map((l) => l['reason']))].sort(), [
        'FIELD_NOT_ALLOWED',
        'PURPOSE_MISMATCH',
      ]);
      assert.ok(!h.logs.some((line) => line.includes('beta-purpose') || line.includes('001190000701')));
    });
  });
});
