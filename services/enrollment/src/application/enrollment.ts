import { createHash } from 'node:crypto';
import {
  CommandHandler,
  WrongExpectedVersionError,
  newEventId,
  type EventStore,
  type SqlExecutor,
  type Tx,
} from '@cancuoc/eventstore';
import { parsePersonalId } from '@cancuoc/identity';
import type { RegisterLookup } from '../domain/application/citizen-data.js';
import type { ApplicationCommand } from '../domain/application/commands.js';
import { applicationDecider } from '../domain/application/decider.js';
import { NO_CARD_HISTORY } from '../domain/application/eligibility.js';
import {
  ApplicationNotFoundError,
  ApplicationRuleViolationError,
  InvalidApplicationCommandError,
} from '../domain/application/errors.js';
import type { ApplicationEvent, ApplicationReason, RejectionReason } from '../domain/application/events.js';
import type { Application, ApplicationState, Stage } from '../domain/application/state.js';
import { assessFace, DEFAULT_FACE_RULES, type FaceRules } from '../domain/biometrics/face-checks.js';
import {
  assessFingerImages,
  assessFingerprints,
  DEFAULT_FINGERPRINT_RULES,
  type DecodedFingerImage,
  type FingerprintRules,
} from '../domain/biometrics/fingerprint-checks.js';
import { TEN_FINGERS, type FingerException, type FingerPosition } from '../domain/biometrics/fingers.js';
import { MINUTIAE_RECORD_MEDIA_TYPE, parseMinutiaeRecord } from '../domain/biometrics/iso19794-2.js';
import {
  FINGER_IMAGE_RECORD_MEDIA_TYPE,
  parseFingerImageRecord,
  type FingerImage,
  type FingerImageRecord,
} from '../domain/biometrics/iso19794-4.js';
import type { BiometricVault, StoredBiometric } from './biometric-vault.js';
import { cardHistory, cardOwner, recordCard, type CardReport } from './card-history.js';
import {
  BiometricNotFoundError,
  CardOfAnotherCitizenError,
  CitizenNotInRegisterError,
  DependencyUnavailableError,
  NotYourStationError,
  OpenApplicationExistsError,
  RateLimitedError,
  StaleVersionError,
  UnknownCardError,
} from './errors.js';
import { idempotent, type CommandContext } from './idempotency.js';
import type {
  AuditTrail,
  DuplicateMatcher,
  ImageDecoder,
  RateLimiter,
  RegisterPort,
  TenPrint,
} from './ports.js';
import {
  listApplications,
  loadApplication,
  saveApplication,
  stuckApplications,
  type ApplicationSummary,
  type ApplicationView,
  type PipelineStep,
} from './read-model.js';

export interface EnrollmentOptions {
  readonly store: EventStore;
  readonly register: RegisterPort;
  readonly vault: BiometricVault;
  readonly matcher: DuplicateMatcher;
  readonly images: ImageDecoder;
  readonly audit: AuditTrail;
  readonly rateLimiter: RateLimiter;
  /** Applications a station may start per minute. */
  readonly startsPerMinute: number;
  readonly clock: () => Date;
  /** Pause before the n-th retry of a failed step: initial · 2^(n−1), at most max. */
  readonly retry: { readonly initialMs: number; readonly maxMs: number };
  /** A step waiting this long without a failure still counts as stuck. */
  readonly stuckAfterMs: number;
  readonly faceRules?: FaceRules;
  readonly fingerprintRules?: FingerprintRules;
}

/** A call from a station: the operator (the actor) and the machine, both authenticated. */
export interface StationContext extends CommandContext {
  readonly stationId: string;
}

/** Who reads: a supervisor sees every station's applications, an operator only their station's. */
export interface Viewer {
  readonly actor: string;
  readonly stationId: string | null;
}

/** The two ways a ten-print is delivered. */
export type FingerprintFormat = 'iso-19794-2' | 'iso-19794-4';

export interface StartRequest {
  readonly personalId: string;
  readonly reason: ApplicationReason | undefined;
  readonly priority: number;
  readonly replacesCardId: string | null;
}

/** What a command returns, and what an idempotency key replays. */
interface CommandOutcome {
  readonly applicationId: string;
  readonly version: number;
}

/** The pipeline's own actor in event metadata. */
export const PIPELINE_ACTOR = 'service:enrollment';

export const applicationStream = (applicationId: string) => `application-${applicationId}`;

/** Stands in for the stored object when a capture is checked against the state before the upload is stored. */
const PLACEHOLDER_REF = { reference: '', sha256: '', mediaType: '', size: 0, width: 0, height: 0 };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Enrollment's use cases. Each command runs in one transaction with its idempotency key, its
 * events, the read model, the open-application claim and, for captures, the encrypted biometrics:
 * a crash leaves all of it or none. Calls to the register and the matcher happen outside any
 * transaction; when they fail the step waits in `enr_pending_steps` for the re-processor.
 */
export class Enrollment {
  /** Called after a commit that left a step due; the re-processor sets it to wake itself. */
  onStepPending: () => void = () => undefined;
  private readonly handler: CommandHandler<ApplicationState, ApplicationCommand, ApplicationEvent>;

  constructor(private readonly options: EnrollmentOptions) {
    this.handler = new CommandHandler(options.store, applicationDecider, { maxAttempts: 5 });
  }

  private get db(): SqlExecutor {
    return this.options.store.db;
  }

  private now(): string {
    return this.options.clock().toISOString();
  }

  /**
   * Starts an application. The register is asked first: an unknown number is refused with nothing
   * recorded; an answer is pinned (or blocks the application) in the same transaction as the
   * start; no answer leaves the application waiting for the re-processor. A card named as the one
   * replaced must be the citizen's own, checked before anything is recorded ({@link replaceable}).
   */
  async start(request: StartRequest, context: StationContext): Promise<ApplicationView> {
    const personalId = parsePersonalId(request.personalId, { field: 'personalId' }).value;
    if (
      !(await this.options.rateLimiter.allow(
        `start:${context.stationId}`,
        this.options.startsPerMinute,
        60_000,
      ))
    ) {
      throw new RateLimitedError(60_000 - (Date.now() % 60_000));
    }
    let lookup: Awaited<ReturnType<RegisterPort['lookup']>> | undefined;
    let failure: DependencyUnavailableError | undefined;
    try {
      lookup = await this.options.register.lookup(personalId);
    } catch (error) {
      if (!(error instanceof DependencyUnavailableError)) throw error;
      failure = error;
    }
    if (lookup?.kind === 'not-found') throw new CitizenNotInRegisterError();
    if (request.replacesCardId !== null)
      await this.replaceable(request.replacesCardId, personalId, lookup, failure);
    const history = lookup ? await cardHistory(this.db, lookup.citizenId) : NO_CARD_HISTORY;
    const outcome = await idempotent(this.options.store, 'StartApplication', request, context, async (tx) => {
      const applicationId = newEventId();
      const [claimed] = await tx.query<{ application_id: string }>(
        `INSERT INTO enr_open_applications (personal_id, application_id) VALUES ($1, $2)
         ON CONFLICT (personal_id) DO NOTHING RETURNING application_id`,
        [personalId, applicationId],
      );
      if (!claimed) {
        const [open] = await tx.query<{ application_id: string }>(
          'SELECT application_id FROM enr_open_applications WHERE personal_id = $1',
          [personalId],
        );
        throw new OpenApplicationExistsError(open?.application_id ?? '');
      }
      const result = await this.apply(
        tx,
        applicationId,
        {
          type: 'StartApplication',
          now: this.now(),
          operator: context.actor,
          stationId: context.stationId,
          personalId,
          reason: request.reason,
          priority: request.priority,
          replacesCardId: request.replacesCardId,
          lookup: lookup?.kind === 'found' ? lookup : undefined,
          history,
        },
        context,
      );
      if (failure) await this.recordStepFailure(tx, applicationId, 'register-lookup', failure.kind);
      return result;
    });
    return this.disclosed(outcome.applicationId, context.actor);
  }

  /**
   * Whether the citizen may name `cardId` as the card their new one replaces. Card production
   * revokes the replaced card — a lost one when it takes the application over, any other as
   * superseded when the new card is delivered — so a card of another citizen here would revoke
   * that citizen's card: refused (`CARD_OF_ANOTHER_CITIZEN`), as
   * is an id enrollment has no news of (`UNKNOWN_CARD`) and a card job cancelled before issue
   * (`CARD_NOT_ISSUED`). The holder is the register's record id card production reported with the
   * card (`enr_cards`, fixed by its first report). With the register down the holder is matched
   * by the personal id number of the application the card was made from; a card made elsewhere
   * then waits for the register (UNAVAILABLE, retry) rather than being taken unchecked.
   *
   * Card production reports a card from the moment it is queued, long before it reaches the citizen,
   * so a card the citizen holds is known here; an `UNKNOWN_CARD` right after a card was made is the
   * report still on its way, and the refusal carries a retry hint.
   */
  private async replaceable(
    cardId: string,
    personalId: string,
    lookup: RegisterLookup | undefined,
    registerFailure: DependencyUnavailableError | undefined,
  ): Promise<void> {
    const card = await cardOwner(this.db, cardId);
    if (!card) throw new UnknownCardError();
    if (card.status === 'CANCELLED') {
      throw new ApplicationRuleViolationError(
        'CARD_NOT_ISSUED',
        'the card named as replaced was cancelled before it was issued: there is no card to replace',
      );
    }
    let own: boolean;
    if (lookup?.kind === 'found') own = card.citizenId === lookup.citizenId;
    else if (card.personalId !== null) own = card.personalId === personalId;
    else throw registerFailure ?? new DependencyUnavailableError('REGISTRY_UNAVAILABLE');
    if (!own) throw new CardOfAnotherCitizenError();
  }

  /** A portrait checked (decodes, size, aspect ratio, not blank), encrypted and attached. */
  async captureFace(
    applicationId: string,
    expectedVersion: number | undefined,
    bytes: Uint8Array,
    context: StationContext,
  ): Promise<ApplicationView> {
    const application = await this.precheck(applicationId, context.stationId, {
      type: 'CaptureFace',
      now: this.now(),
      operator: context.actor,
      stationId: context.stationId,
      face: PLACEHOLDER_REF,
    });
    const image = await this.options.images.decode(bytes);
    const violations = assessFace(image, this.options.faceRules ?? DEFAULT_FACE_RULES);
    if (violations.length > 0) throw new InvalidApplicationCommandError(violations);
    const request = { applicationId, expectedVersion, size: bytes.length, sha256: sha256Hex(bytes) };
    await idempotent(this.options.store, 'CaptureFace', request, context, async (tx) => {
      const face = await this.options.vault.store(tx, {
        citizenId: application.citizen!.citizenId,
        applicationId,
        kind: 'face',
        bytes,
        mediaType: image.mediaType,
        width: image.width,
        height: image.height,
      });
      const command: ApplicationCommand = {
        type: 'CaptureFace',
        now: this.now(),
        operator: context.actor,
        stationId: context.stationId,
        face,
      };
      return this.apply(tx, applicationId, command, context, expectedVersion);
    });
    return this.disclosed(applicationId, context.actor);
  }

  /**
   * A ten-print — a minutiae record (ISO/IEC 19794-2) or finger images (ISO/IEC 19794-4) — parsed,
   * checked finger by finger, encrypted and attached. Finger images are taken only when the
   * duplicate check can compare them.
   */
  async captureFingerprints(
    applicationId: string,
    expectedVersion: number | undefined,
    bytes: Uint8Array,
    format: FingerprintFormat,
    exceptions: readonly FingerException[],
    context: StationContext,
  ): Promise<ApplicationView> {
    const application = await this.precheck(applicationId, context.stationId, {
      type: 'CaptureFingerprints',
      now: this.now(),
      operator: context.actor,
      stationId: context.stationId,
      fingerprints: PLACEHOLDER_REF,
      fingers: TEN_FINGERS,
      exceptions: [],
    });
    const checked = await this.checkTenPrint(bytes, format, exceptions);
    const request = { applicationId, expectedVersion, format, exceptions, sha256: sha256Hex(bytes) };
    await idempotent(this.options.store, 'CaptureFingerprints', request, context, async (tx) => {
      const fingerprints = await this.options.vault.store(tx, {
        citizenId: application.citizen!.citizenId,
        applicationId,
        kind: 'fingerprints',
        bytes,
        mediaType: checked.mediaType,
        width: 0,
        height: 0,
      });
      const command: ApplicationCommand = {
        type: 'CaptureFingerprints',
        now: this.now(),
        operator: context.actor,
        stationId: context.stationId,
        fingerprints,
        fingers: checked.fingers,
        exceptions,
      };
      return this.apply(tx, applicationId, command, context, expectedVersion);
    });
    return this.disclosed(applicationId, context.actor);
  }

  private async checkTenPrint(
    bytes: Uint8Array,
    format: FingerprintFormat,
    exceptions: readonly FingerException[],
  ): Promise<{ mediaType: string; fingers: readonly FingerPosition[] }> {
    const rules = this.options.fingerprintRules ?? DEFAULT_FINGERPRINT_RULES;
    if (format === 'iso-19794-2') {
      const { fingers, violations } = assessFingerprints(parseMinutiaeRecord(bytes), exceptions, rules);
      if (violations.length > 0) throw new InvalidApplicationCommandError(violations);
      return { mediaType: MINUTIAE_RECORD_MEDIA_TYPE, fingers };
    }
    if (!this.options.matcher.comparesImages) {
      throw new ApplicationRuleViolationError(
        'MATCHER_NEEDS_MINUTIAE',
        "this deployment's duplicate check compares minutiae: capture an ISO/IEC 19794-2 record",
      );
    }
    const record = parseFingerImageRecord(bytes);
    const decoded: DecodedFingerImage[] = [];
    for (const image of record.images) decoded.push(await this.decodeFingerImage(record, image));
    const { fingers, violations } = assessFingerImages(record, decoded, exceptions, rules);
    if (violations.length > 0) throw new InvalidApplicationCommandError(violations);
    return { mediaType: FINGER_IMAGE_RECORD_MEDIA_TYPE, fingers };
  }

  private async decodeFingerImage(
    record: FingerImageRecord,
    image: FingerImage,
  ): Promise<DecodedFingerImage> {
    if (record.compression === 'uncompressed') {
      return image.data.length === image.width * image.height
        ? { mediaType: 'image/x-grey', width: image.width, height: image.height, luminance: image.data }
        : 'unreadable';
    }
    try {
      return await this.options.images.decode(image.data);
    } catch (error) {
      if (error instanceof InvalidApplicationCommandError) return 'unreadable';
      throw error;
    }
  }

  /** Biometrics complete: the duplicate check is queued and the re-processor woken to run it. */
  async submitForReview(applicationId: string, expectedVersion: number | undefined, context: StationContext) {
    await this.ofStation(applicationId, context.stationId);
    const view = await this.command('SubmitForReview', applicationId, expectedVersion, context, {
      type: 'SubmitForReview',
      now: this.now(),
      operator: context.actor,
      stationId: context.stationId,
    });
    this.onStepPending();
    return view;
  }

  approve(applicationId: string, expectedVersion: number | undefined, context: CommandContext) {
    return this.command('ApproveApplication', applicationId, expectedVersion, context, {
      type: 'Approve',
      now: this.now(),
      supervisor: context.actor,
    });
  }

  reject(
    applicationId: string,
    expectedVersion: number | undefined,
    reason: RejectionReason | undefined,
    note: string,
    context: CommandContext,
  ) {
    return this.command('RejectApplication', applicationId, expectedVersion, context, {
      type: 'Reject',
      now: this.now(),
      supervisor: context.actor,
      reason,
      note,
    });
  }

  adjudicate(
    applicationId: string,
    expectedVersion: number | undefined,
    decision: 'not-duplicate' | 'duplicate' | undefined,
    note: string,
    context: CommandContext,
  ) {
    return this.command('AdjudicateApplication', applicationId, expectedVersion, context, {
      type: 'Adjudicate',
      now: this.now(),
      supervisor: context.actor,
      decision,
      note,
    });
  }

  /** `stationId` null: a supervisor, who may cancel at any station. */
  async cancel(
    applicationId: string,
    expectedVersion: number | undefined,
    note: string,
    stationId: string | null,
    context: CommandContext,
  ) {
    if (stationId !== null) await this.ofStation(applicationId, stationId);
    return this.command('CancelApplication', applicationId, expectedVersion, context, {
      type: 'Cancel',
      now: this.now(),
      by: context.actor,
      stationId,
      note,
    });
  }

  /** One application with its pinned register data: each read is audited. */
  async get(applicationId: string, viewer: Viewer): Promise<ApplicationView> {
    const view =
      viewer.stationId === null
        ? await this.view(applicationId)
        : await this.ofStation(applicationId, viewer.stationId);
    return this.disclosed(applicationId, viewer.actor, view);
  }

  /**
   * The application, when it was started at `stationId`; another station's is refused
   * (PERMISSION_DENIED `OTHER_STATION`) before its state is looked at, so an operator learns
   * nothing of it. An application's station never changes: checked outside the transaction.
   */
  private async ofStation(applicationId: string, stationId: string): Promise<ApplicationView> {
    const view = await this.view(applicationId);
    if (view.application.stationId !== stationId) throw new NotYourStationError();
    return view;
  }

  /**
   * The view a caller receives, after the audit log has recorded that they saw the register data
   * pinned to it: every response carrying personal data is an access to it.
   */
  private async disclosed(
    applicationId: string,
    actor: string,
    known?: ApplicationView,
  ): Promise<ApplicationView> {
    const view = known ?? (await this.view(applicationId));
    if (view.application.citizen) {
      await this.options.audit.record({
        actor,
        action: 'application.read',
        purpose: 'enrollment',
        subjectId: view.application.citizen.citizenId,
        fields: ['register-data', 'biometric-references'],
        detail: { applicationId, version: String(view.version) },
      });
    }
    return view;
  }

  list(stationId: string, stage: Stage | undefined, pageSize: number, pageToken: string) {
    return listApplications(this.db, stationId, stage, pageSize, pageToken);
  }

  stuck(stationId: string | undefined, limit: number): Promise<ApplicationSummary[]> {
    return stuckApplications(this.db, stationId, limit, this.options.stuckAfterMs);
  }

  /**
   * Releases the clear portrait of a submitted application to card production, for the chip's DG2,
   * after writing the release to the audit log.
   */
  async portrait(applicationId: string, reference: string, actor: string): Promise<StoredBiometric> {
    const view = await this.view(applicationId);
    const { face, citizen, stage } = view.application;
    if (!face || face.reference !== reference || !citizen) throw new BiometricNotFoundError();
    if (stage !== 'submitted') {
      throw new ApplicationRuleViolationError(
        'APPLICATION_NOT_SUBMITTED',
        'the portrait is released only for an application submitted to card production',
      );
    }
    const stored = await this.options.vault.read(this.db, reference);
    await this.options.audit.record({
      actor,
      action: 'portrait.released',
      purpose: 'card-personalisation',
      subjectId: citizen.citizenId,
      fields: ['face'],
      detail: { applicationId, reference },
    });
    return { ...stored, ref: face };
  }

  /** Crypto-shredding of one citizen's biometrics (erasure under the data protection law). */
  async eraseBiometrics(citizenId: string, legalBasis: string, actor: string): Promise<number> {
    return this.options.store.transaction(async (tx) => {
      const destroyed = await this.options.vault.destroyCitizenKeys(tx, citizenId);
      await this.options.audit.record(
        {
          actor,
          action: 'biometrics.erased',
          purpose: 'erasure',
          subjectId: citizenId,
          fields: ['face', 'fingerprints'],
          detail: { legalBasis, keysDestroyed: String(destroyed) },
        },
        tx,
      );
      return destroyed;
    });
  }

  /**
   * Card production's news about a card, in the consumer's transaction: the card is recorded and
   * the application it came from completed or cancelled (see the decider's `recordCard`).
   */
  async recordCardChange(tx: Tx, card: CardReport, context: CommandContext): Promise<void> {
    if (!(await recordCard(tx, card))) return;
    const status =
      card.status === 'DELIVERED' || card.status === 'ACTIVATED'
        ? (card.status.toLowerCase() as 'delivered' | 'activated')
        : card.status === 'CANCELLED'
          ? 'cancelled'
          : undefined;
    if (!status || !UUID.test(card.applicationId)) return;
    try {
      await this.apply(
        tx,
        card.applicationId,
        { type: 'RecordCardStatus', now: this.now(), cardId: card.cardId, status },
        context,
      );
    } catch (error) {
      // A card for an application this service never had (another deployment's): nothing to close.
      if (!(error instanceof ApplicationNotFoundError)) throw error;
    }
  }

  /** Due steps, oldest first, for the re-processor. */
  async dueSteps(limit: number): Promise<string[]> {
    const rows = await this.db.query<{ application_id: string }>(
      `SELECT application_id FROM enr_pending_steps WHERE next_attempt_at <= now()
       ORDER BY next_attempt_at LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.application_id);
  }

  /** Milliseconds until the earliest pending step is due (0 if one is due); undefined when none is pending. */
  async nextStepDueInMs(): Promise<number | undefined> {
    // No pending step: min() is NULL, and so is the difference (GREATEST would skip a NULL).
    const [row] = await this.db.query<{ ms: number | null }>(
      `SELECT (extract(epoch FROM min(next_attempt_at) - now()) * 1000)::float8 AS ms FROM enr_pending_steps`,
    );
    const ms = row?.ms;
    return ms === null || ms === undefined ? undefined : Math.max(0, Number(ms));
  }

  /**
   * Runs the step an application waits on: the register lookup or the duplicate check. A dependency
   * that fails leaves the step pending with one more failed attempt and a later next attempt.
   */
  async runStep(applicationId: string): Promise<'done' | 'failed' | 'none'> {
    const view = await loadApplication(this.db, applicationId);
    const step = view?.pendingStep?.step;
    if (!view || !step) return 'none';
    try {
      const command =
        step === 'register-lookup' ? await this.lookupStep(view) : await this.duplicateStep(view);
      await this.options.store.transaction((tx) =>
        this.apply(tx, applicationId, command, { actor: PIPELINE_ACTOR }),
      );
      return 'done';
    } catch (error) {
      if (error instanceof DependencyUnavailableError) {
        await this.recordFailure(applicationId, step, error.kind);
        return 'failed';
      }
      // The application moved on meanwhile (cancelled, or another instance ran the step).
      if (error instanceof ApplicationRuleViolationError && error.rule === 'WRONG_STAGE') return 'none';
      throw error;
    }
  }

  private async lookupStep(view: ApplicationView): Promise<ApplicationCommand> {
    const lookup = await this.options.register.lookup(view.application.personalId);
    const history = lookup.kind === 'found' ? await cardHistory(this.db, lookup.citizenId) : NO_CARD_HISTORY;
    return { type: 'PinRegisterData', now: this.now(), lookup, history };
  }

  private async duplicateStep(view: ApplicationView): Promise<ApplicationCommand> {
    const { fingerprints, citizen } = view.application;
    if (!fingerprints || !citizen)
      throw new Error('an application in the duplicate check has no fingerprints');
    const stored = await this.options.vault.read(this.db, fingerprints.record.reference);
    const prints: TenPrint =
      stored.ref.mediaType === FINGER_IMAGE_RECORD_MEDIA_TYPE
        ? { kind: 'images', record: parseFingerImageRecord(stored.bytes) }
        : { kind: 'minutiae', record: parseMinutiaeRecord(stored.bytes) };
    await this.options.audit.record({
      actor: PIPELINE_ACTOR,
      action: 'fingerprints.read',
      purpose: 'duplicate-check',
      subjectId: citizen.citizenId,
      fields: ['fingerprints'],
      detail: { applicationId: view.applicationId },
    });
    const result = await this.options.matcher.search({
      applicationId: view.applicationId,
      citizenId: citizen.citizenId,
      prints,
    });
    return {
      type: 'RecordDuplicateCheck',
      now: this.now(),
      matcher: this.options.matcher.name,
      comparedWith: result.comparedWith,
      candidates: result.candidates,
    };
  }

  /** Counts a failed attempt of the step and puts the next one off (exponential backoff). */
  recordFailure(applicationId: string, step: PipelineStep, kind: string): Promise<void> {
    return this.options.store.transaction((tx) => this.recordStepFailure(tx, applicationId, step, kind));
  }

  private async recordStepFailure(tx: Tx, applicationId: string, step: PipelineStep, kind: string) {
    const { initialMs, maxMs } = this.options.retry;
    await tx.query(
      `UPDATE enr_pending_steps SET attempts = attempts + 1, last_error = $3, last_attempt_at = now(),
         next_attempt_at = now() + make_interval(secs => least($4::double precision * power(2, attempts), $5) / 1000)
       WHERE application_id = $1 AND step = $2`,
      [applicationId, step, kind, initialMs, maxMs],
    );
  }

  async view(applicationId: string): Promise<ApplicationView> {
    const view = UUID.test(applicationId) ? await loadApplication(this.db, applicationId) : undefined;
    if (!view) throw new ApplicationNotFoundError();
    return view;
  }

  /** Refuses a capture the application's state does not allow before the upload is decoded or stored. */
  private async precheck(
    applicationId: string,
    stationId: string,
    command: ApplicationCommand,
  ): Promise<Application> {
    const view = await this.ofStation(applicationId, stationId);
    applicationDecider.decide(command, { status: 'exists', application: view.application });
    return view.application;
  }

  private async command(
    method: string,
    applicationId: string,
    expectedVersion: number | undefined,
    context: CommandContext,
    command: ApplicationCommand,
  ): Promise<ApplicationView> {
    const { now: _now, ...request } = command;
    await idempotent(this.options.store, method, { applicationId, expectedVersion, request }, context, (tx) =>
      this.apply(tx, applicationId, command, context, expectedVersion),
    );
    return this.disclosed(applicationId, context.actor);
  }

  private async apply(
    tx: Tx,
    applicationId: string,
    command: ApplicationCommand,
    context: CommandContext,
    expectedVersion?: number,
  ): Promise<CommandOutcome> {
    let result;
    try {
      result = await this.handler.handle(applicationStream(applicationId), command, {
        metadata: {
          actor: context.actor,
          ...(context.correlationId && { correlationId: context.correlationId }),
          ...(context.traceparent && { traceparent: context.traceparent }),
        },
        tx,
        ...(expectedVersion !== undefined && { expectedVersion }),
      });
    } catch (error) {
      if (error instanceof WrongExpectedVersionError && expectedVersion !== undefined) {
        throw new StaleVersionError(expectedVersion, error.actual);
      }
      throw error;
    }
    if (result.state.status === 'none') throw new ApplicationNotFoundError();
    if (result.events.length > 0)
      await saveApplication(tx, applicationId, result.streamVersion, result.state.application);
    return { applicationId, version: result.streamVersion };
  }
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
