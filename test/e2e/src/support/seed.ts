import assert from 'node:assert/strict';
import {
  DEMO_ADMINISTRATOR,
  DEMO_AGENCY,
  DEMO_SUPERVISOR,
  SEED_CLERK,
  agencyReceivedCards,
  enrollmentStationOf,
  type AgencyTerms,
  type Connection,
} from '@cancuoc/platform';
import {
  ApplicationStage,
  CardJobStatus,
  CardProductionService,
  EnrollmentService,
  RegistryService,
} from '@cancuoc/proto';
import { generatePopulation } from '@cancuoc/synthetic';
import { assertExactFields } from './checks.js';

/**
 * Every citizen of `cancuoc demo --seed <seed> --citizens <citizens>` is complete, as the demo's
 * promises have it (support/checks.ts): registered once (the register finds each row's personal id
 * number, a record of its own), one application (none but cancelled ones beside it) COMPLETED, one
 * card ACTIVATED and encoded exactly once with no voided chip, no other application or card at the
 * demo's stations, and the agency holding each citizen with exactly its subscription's fields.
 * Read through the services' RPCs, as the demo's clerk, supervisor, administrator and agency.
 */
export async function assertSeedFinished(
  connection: Connection,
  options: { readonly citizens: number; readonly seed: number; readonly agency?: AgencyTerms },
): Promise<void> {
  const rows = [...generatePopulation({ count: options.citizens, seed: options.seed })];
  const registry = connection.client(RegistryService, 'registry', SEED_CLERK);
  const enrollment = connection.client(EnrollmentService, 'enrollment', DEMO_SUPERVISOR);
  const cardProduction = connection.client(CardProductionService, 'card-production', DEMO_ADMINISTRATOR);

  const citizenIds: string[] = [];
  for (const row of rows) {
    const { citizenId } = await registry.getCitizen({ personalId: row.personal_id, purpose: 'e2e-crash' });
    citizenIds.push(citizenId);
  }
  assert.equal(new Set(citizenIds).size, rows.length, 'each row registered as a record of its own');

  const byCitizen = new Map<string, { applicationId: string; stage: ApplicationStage }[]>();
  const stations = [...new Set(rows.map((_, i) => enrollmentStationOf(i)))];
  for (const stationId of stations) {
    let pageToken = '';
    do {
      const page = await enrollment.listApplications({ stationId, pageSize: 500, pageToken });
      for (const { applicationId } of page.applications) {
        const { application } = await enrollment.getApplication({ applicationId });
        const a = application!.application!;
        byCitizen.set(a.citizenId, [
          ...(byCitizen.get(a.citizenId) ?? []),
          { applicationId, stage: a.stage },
        ]);
      }
      pageToken = page.nextPageToken;
    } while (pageToken);
  }
  assert.deepEqual(
    [...byCitizen.keys()].filter((id) => !citizenIds.includes(id)),
    [],
    'no application of anyone but the seed',
  );

  const cardIds = new Set<string>();
  for (const citizenId of citizenIds) {
    const open = (byCitizen.get(citizenId) ?? []).filter((a) => a.stage !== ApplicationStage.CANCELLED);
    assert.equal(open.length, 1, `one application of ${citizenId}: ${JSON.stringify(open)}`);
    assert.equal(open[0]!.stage, ApplicationStage.COMPLETED, `application of ${citizenId} completed`);
    const { card, history } = await cardProduction.getCard({
      card: { case: 'applicationId', value: open[0]!.applicationId },
    });
    assert.equal(card!.status, CardJobStatus.ACTIVATED, `card ${card!.cardId} activated`);
    assert.equal(
      history.filter((h) => h.change === 'CardEncoded').length,
      1,
      `card ${card!.cardId} encoded once`,
    );
    assert.equal(card!.voidedChips.length, 0, `card ${card!.cardId} voided no chip`);
    cardIds.add(card!.cardId);
  }
  // No card beside them: one card per application, none carded twice.
  let cards = 0;
  for (const status of Object.values(CardJobStatus))
    if (typeof status === 'number' && status !== CardJobStatus.UNSPECIFIED) {
      let pageToken = '';
      do {
        const page = await cardProduction.listCards({ status, pageSize: 500, pageToken });
        for (const c of page.cards)
          assert.ok(cardIds.has(c.cardId), `card ${c.cardId} is a citizen's one card`);
        cards += page.cards.length;
        pageToken = page.nextPageToken;
      } while (pageToken);
    }
  assert.equal(cards, citizenIds.length, 'one card per citizen, no other');

  const agency = options.agency ?? DEMO_AGENCY;
  const view = await agencyReceivedCards(connection, agency, citizenIds, { timeoutMs: 60_000 });
  assertExactFields(view, agency.fields, citizenIds);
}
