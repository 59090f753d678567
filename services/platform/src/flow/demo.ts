import { identities, type Identity, type TokenSource } from '@cancuoc/auth';
import type { StationSimulator } from '@cancuoc/card-production';
import { grpcCode, status } from '@cancuoc/grpc';
import { CardJobStatus, CardProductionService, type partner } from '@cancuoc/proto';
import type { Progress } from '../cli/progress.js';
import type { Connection } from '../cli/connection.js';
import {
  DEMO_AGENCY,
  SUBSCRIPTION_ADMINISTRATORS,
  agencyView,
  ensureSubscription,
  type AgencyTerms,
} from './agency.js';
import { SEED_CLERK, populationOf, type SeededCitizen } from './citizens.js';
import {
  ApplicationBlocked,
  DEMO_ADMINISTRATOR,
  DEMO_SUPERVISOR,
  cardEncoded,
  enrollCitizen,
  operatorOf,
  issueCard,
  enrollmentStationOf,
  type EncodedCard,
  type EnrolledApplication,
  type OpenApplication,
} from './enroll.js';
import { applicationsAt, resumePoint, type PastApplication } from './resume.js';
import { SERVICES } from '../services.js';
import { pool, until } from './pool.js';
import { CliFailure } from '../cli/command.js';

export interface DemoOptions {
  readonly citizens: number;
  /** Same seed, same synthetic people (a second run with the same seed finds them registered). */
  readonly seed: number;
  /** Citizens in flight at once. */
  readonly concurrency?: number;
  /** Encoding stations the demo runs itself; 0 when `cancuoc station` runs elsewhere. */
  readonly stations?: number;
  readonly agency?: AgencyTerms;
  readonly timeoutMs?: number;
  readonly progress?: Progress;
  /** Aborted: no other citizen is started; those in flight are taken the whole way. */
  readonly signal?: AbortSignal;
}

export interface DemoResult {
  /** The citizens taken through the whole path. */
  readonly citizens: readonly SeededCitizen[];
  /** Citizens this run registered: those taken through and those blocked at enrollment. */
  readonly registered: number;
  /**
   * Citizens an earlier run with the seed registered and left part of the way (no application, one
   * being captured or reviewed, a card waiting or being issued): this run found where each was,
   * through the services' RPCs, and took it the rest of the way. Counted in `citizens` too.
   */
  readonly resumed: number;
  /**
   * Registered, but blocked at enrollment, per reason: the register flags their record
   * (`REGISTER_RECORD_FLAGGED`: a minor with no parent recorded is incomplete, say).
   */
  readonly blocked: ReadonlyMap<string, number>;
  /** Citizens an earlier run with the seed took the whole way (card activated): left out. */
  readonly alreadyRegistered: number;
  /**
   * Citizens not started because the signal stopped the run (0 when it ran to the end): never
   * registered, so a run with the same seed and number takes them, and leaves out the others.
   */
  readonly notStarted: number;
  /** The signal stopped the run: the citizens in flight were finished, no other was started. */
  readonly interrupted: boolean;
  readonly applications: readonly EnrolledApplication[];
  /** Per application id. */
  readonly cards: ReadonlyMap<string, EncodedCard>;
  /** Jobs the demo's own stations completed, per card id (empty when stations run elsewhere). */
  readonly completions: ReadonlyMap<string, number>;
  /** What the agency holds of each citizen at the end. */
  readonly view: ReadonlyMap<string, partner.PartnerCitizen | undefined>;
  readonly agency: AgencyTerms;
  readonly elapsedMs: number;
}

/**
 * The platform stopped answering during the run (UNAVAILABLE, a refused connection, no answer in
 * time): the run stopped at once. What the citizens finished is kept; a run with the same seed and
 * count takes the others on from where each one is.
 */
export class PlatformUnreachable extends CliFailure {
  override readonly name = 'PlatformUnreachable';
  constructor(
    /** The addresses that did not answer (every service's when all answered again by then). */
    readonly where: string,
    /** Citizens taken the whole way, by this run or an earlier one with the seed. */
    readonly finished: number,
    readonly total: number,
  ) {
    super(`platform not reachable at ${where}: ${finished} of ${total} citizens finished`);
  }
}

/** A station of the demo makes no call once the platform is found away (see `runDemo`). */
class StationAbandoned extends Error {
  override readonly name = 'StationAbandoned';
  constructor(where: string) {
    super(`platform not reachable at ${where}: the station settles no other job`);
  }
}

/** Codes a call gets when the service went away under it, or never answered. */
const AWAY = new Set([status.UNAVAILABLE, status.DEADLINE_EXCEEDED]);
/** Codes a call may also get when its connection dropped mid-call: the health check then decides. */
const MAYBE_AWAY = new Set([...AWAY, status.CANCELLED, status.INTERNAL, status.UNKNOWN]);

/** The addresses of the services that do not answer their health check within a few seconds. */
async function unanswering(connection: Connection): Promise<string[]> {
  const away: string[] = [];
  for (const service of SERVICES) {
    try {
      await connection.expectServing([service], 3_000);
    } catch {
      away.push(connection.addresses[service]);
    }
  }
  return away;
}

/** The trust anchor a station checks chips against, as card production publishes it to the station. */
export async function trustedCscas(connection: Connection, station: Identity): Promise<Uint8Array[]> {
  const client = connection.client(CardProductionService, 'card-production', station);
  const { cscaCertificates } = await client.getTrustAnchors({});
  if (cscaCertificates.length === 0) throw new CliFailure('card production publishes no CSCA certificate');
  return cscaCertificates;
}

/** The encoding stations the demo runs itself. */
const encodingStationsOf = (count: number): Identity[] =>
  Array.from({ length: count }, (_, i) => identities.encodingStation(`demo-enc-${i + 1}`));

/**
 * Everyone the demo acts as, for `citizens` and `stations`: in server mode each must exist at the
 * OpenID provider (people as accounts, the others as clients with their own keys and certificates).
 */
export function demoIdentities(options: {
  readonly citizens: number;
  readonly stations?: number;
  readonly agency?: AgencyTerms;
}): { readonly people: Identity[]; readonly machines: Identity[] } {
  const enrolling = [
    ...new Set(Array.from({ length: options.citizens }, (_, index) => enrollmentStationOf(index))),
  ];
  return {
    people: [
      SEED_CLERK,
      ...SUBSCRIPTION_ADMINISTRATORS,
      DEMO_ADMINISTRATOR,
      DEMO_SUPERVISOR,
      ...enrolling.map(operatorOf),
    ],
    machines: [
      ...enrolling.map((station) => identities.enrollmentStation(station)),
      ...encodingStationsOf(options.stations ?? 2),
      identities.agency((options.agency ?? DEMO_AGENCY).agency),
    ],
  };
}

const STEPS = ['registered', 'enrolled', 'cards encoded', 'cards issued', 'agency received'] as const;

/**
 * The whole path of a card, for `citizens` synthetic people: an agency subscription requested and
 * approved by two administrators; each citizen registered, enrolled at a station with a generated
 * face and ten prints, approved; card production personalises; an encoding station (the simulator,
 * with passive authentication) writes the chip; the card is checked, shipped, handed over and
 * activated; the agency receives the citizen with the card.
 *
 * Each citizen goes the whole way before the run counts it, `concurrency` at a time. An aborted
 * `signal` starts no other citizen, and the ones in flight are finished — from registration to the
 * agency. When the platform stops answering, the run stops at once ({@link PlatformUnreachable}),
 * leaving citizens part of the way; a run with the same seed and count finds each citizen it had
 * registered where it is, through the services' own RPCs (the register by personal id number,
 * enrollment's applications at the demo's stations, card production's card of the application),
 * and takes it on from there: no second registration, no second application while one is open, no
 * second card ({@link resumePoint}).
 */
export async function runDemo(connection: Connection, options: DemoOptions): Promise<DemoResult> {
  const startedAt = Date.now();
  const agency = options.agency ?? DEMO_AGENCY;
  const progress = options.progress;
  const signal = options.signal;
  await connection.expectServing(['registry', 'enrollment', 'card-production', 'data-sharing']);
  const stationCount = options.stations ?? 2;
  const encoders = encodingStationsOf(stationCount);
  // The callers with a channel of their own (an enrollment station's token rides on its operator's).
  await connection.prepare([...encoders, identities.agency(agency.agency)]);
  await ensureSubscription(connection, agency);

  // Stops the citizens in flight once the platform is found away, so the run ends promptly.
  const halt = new AbortController();
  let away: string | undefined;
  // A station settles the jobs in hand before it stops, retrying while card production does not
  // answer — for ever once the platform is gone (a SIGKILL, no restart). Once it is found away, the
  // demo's stations make no other call: their jobs are left to their leases, which run out, and
  // card production queues them again for the next run's stations. The simulator's chips are in
  // memory only: nothing to destroy. (When only another service is away, they settle as usual.)
  let cardProductionAway = false;
  const stationTokens = (tokens: TokenSource): TokenSource => ({
    token: (audience) =>
      cardProductionAway ? Promise.reject(new StationAbandoned(away ?? '')) : tokens.token(audience),
  });
  const completions = new Map<string, number>();
  const stations: StationSimulator[] = [];
  if (stationCount > 0) {
    const cscas = await trustedCscas(connection, encoders[0]!);
    // Card production's simulator, loaded only when the demo runs stations itself.
    const { StationSimulator } = await import('@cancuoc/card-production');
    for (const encoder of encoders) {
      // Each station with its own tokens and, on mutual TLS, its own certificate.
      const { tokens, tls } = connection.as(encoder);
      const station = new StationSimulator({
        address: connection.addresses['card-production'],
        tokens: stationTokens(tokens),
        credentials: connection.channel(tls),
        capacity: 4,
        trustedCscas: cscas,
        log: (e) => {
          if (e.event === 'job-completed' && e.jobId) {
            completions.set(e.jobId, (completions.get(e.jobId) ?? 0) + 1);
            progress?.tick('cards encoded');
          }
        },
      });
      station.start();
      stations.push(station);
    }
  }
  const platformAway = async (error: unknown): Promise<boolean> => {
    if (away !== undefined) return true;
    const code = grpcCode(error);
    if (code === undefined || !MAYBE_AWAY.has(code)) return false;
    const where = await unanswering(connection);
    if (where.length === 0 && !AWAY.has(code)) return false;
    const gone = where.length > 0 ? where : SERVICES.map((s) => connection.addresses[s]);
    away ??= gone.join(', ');
    cardProductionAway ||= gone.includes(connection.addresses['card-production']);
    halt.abort();
    return true;
  };
  const through: SeededCitizen[] = [];
  let alreadyRegistered = 0;
  try {
    for (const step of STEPS) progress?.track(step, options.citizens);
    // The steps a citizen will not take (already done, or blocked) are counted as passed.
    const skip = (steps: readonly (typeof STEPS)[number][]) => {
      for (const step of steps) progress?.tick(step);
    };
    const population = populationOf(connection, { count: options.citizens, seed: options.seed });
    const blocked = new Map<string, number>();
    const applications: EnrolledApplication[] = [];
    const cards = new Map<string, EncodedCard>();
    let started = 0;
    let earlierRows = 0;
    let resumed = 0;
    // What enrollment holds of the demo's stations, read once a citizen turns out registered already.
    let past: Promise<Map<string, PastApplication[]>> | undefined;
    const stations = [...new Set(Array.from({ length: population.size }, (_, i) => enrollmentStationOf(i)))];
    const steps = { timeoutMs: options.timeoutMs, signal: halt.signal };
    const takeCitizen = async (index: number) => {
      started++;
      const { citizen, earlier } = await population.register(index);
      if (earlier) earlierRows++;
      progress?.tick('registered');
      let open: OpenApplication | undefined;
      if (earlier) {
        past ??= applicationsAt(connection, stations);
        const point = resumePoint((await past).get(citizen.citizenId));
        if (point.kind === 'blocked') {
          blocked.set(point.reason, (blocked.get(point.reason) ?? 0) + 1);
          skip(['enrolled', 'cards encoded', 'cards issued', 'agency received']);
          return;
        }
        if (point.kind !== 'new') open = point.application;
      }
      let application: EnrolledApplication;
      try {
        application = await enrollCitizen(connection, citizen, enrollmentStationOf(index), {
          ...steps,
          open,
        });
      } catch (error) {
        if (!(error instanceof ApplicationBlocked)) throw error;
        blocked.set(error.reason, (blocked.get(error.reason) ?? 0) + 1);
        skip(['enrolled', 'cards encoded', 'cards issued', 'agency received']);
        return;
      }
      progress?.tick('enrolled');
      const card = await cardEncoded(connection, application.applicationId, steps);
      // Encoded by an earlier run's stations (or by stations elsewhere): no completion here to count it.
      if (stationCount === 0 || (earlier && card.status !== CardJobStatus.ENCODED))
        progress?.tick('cards encoded');
      if (earlier && card.status === CardJobStatus.ACTIVATED) {
        alreadyRegistered++;
        skip(['cards issued', 'agency received']);
        return;
      }
      await issueCard(connection, card.cardId, citizen.officeUnitCode, card.status);
      progress?.tick('cards issued');
      through.push(citizen);
      applications.push(application);
      cards.set(application.applicationId, card);
      if (earlier) resumed++;
    };
    // The signal goes to the pool only: a citizen it has started is finished.
    await pool(
      Array.from({ length: population.size }, (_, i) => i),
      options.concurrency ?? 6,
      async (index) => {
        try {
          await takeCitizen(index);
        } catch (error) {
          await platformAway(error);
          throw error;
        }
      },
      signal,
    );
    const citizens = through;
    const ids = citizens.map((c) => c.citizenId);
    let seen = 0;
    const view = await until(
      () => agencyView(connection, agency.agency, agency.purpose, ids),
      (v) => {
        const now = [...v.values()].filter((c) => c?.card?.current?.documentNumber).length;
        progress?.tick('agency received', now - seen);
        seen = now;
        return now === ids.length;
      },
      {
        timeoutMs: options.timeoutMs ?? 120_000,
        intervalMs: 500,
        onTimeout: () => new CliFailure(`${agency.agency} did not receive every card in time`),
      },
    );
    return {
      citizens,
      registered: started - earlierRows,
      resumed,
      blocked,
      alreadyRegistered,
      notStarted: population.size - started,
      interrupted: started < population.size,
      applications,
      cards,
      completions,
      view,
      agency,
      elapsedMs: Date.now() - startedAt,
    };
  } catch (error) {
    // Whichever citizen failed first, the platform gone away is the news (the others then fail too).
    if ((await platformAway(error)) && away !== undefined)
      throw new PlatformUnreachable(away, through.length + alreadyRegistered, options.citizens);
    throw error;
  } finally {
    progress?.end();
    await Promise.all(stations.map((s) => s.stop()));
  }
}
