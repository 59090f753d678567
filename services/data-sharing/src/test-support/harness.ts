import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DescService } from '@bufbuild/protobuf';
import { bearerFor, DevelopmentIssuer, identities, type Identity } from '@cancuoc/auth';
import {
  channelCredentialsFor,
  closeClient,
  createClient,
  DevelopmentCa,
  type GrpcClient,
  type TlsFiles,
} from '@cancuoc/grpc';
import { CalendarDate } from '@cancuoc/identity';
import { createLogger } from '@cancuoc/observability';
import { datasharing, partner, partnerTopicsOf } from '@cancuoc/proto';
import {
  TEST_REDIS_URL,
  catalogueTopics,
  connectTestRedis,
  createTestDatabase,
  startKafkaBroker,
  type KafkaBroker,
  type TestRedis,
} from '@cancuoc/testing';
import { startDataSharing, type RunningDataSharing } from '../app.js';
import type { DataSharingConfig } from '../config.js';
import { INBOUND_GROUP, INBOUND_TOPICS } from '../data-sharing.module.js';
import { eventually } from './partner-reader.js';
import { Upstream } from './upstream.js';

export const TODAY = CalendarDate.parse('2026-11-26');

export type AgencyClient = GrpcClient<typeof datasharing.AgencyQueryService>;
export type AdminClient = GrpcClient<typeof datasharing.SubscriptionService>;

/** How a test's callers prove who they are: the issuer's tokens, and on mutual TLS a certificate. */
export interface CallerCredentials {
  /** The issuer data sharing trusts (`auth: { mode: 'issuer', issuer }`). */
  readonly issuer: DevelopmentIssuer;
  /**
   * On mutual TLS, the client certificate of `subject` from the server's CA (the same files each
   * time); none for the embedded plaintext server.
   */
  readonly certificate?: ((subject: string) => Promise<TlsFiles>) | undefined;
}

export interface CallerOptions {
  /**
   * The `authorization` header as sent: default a token of `identity` for audience `data-sharing`;
   * null sends none.
   */
  readonly authorization?: string | null;
  /** Whose client certificate the connection presents, on mutual TLS. Default `identity.subject`. */
  readonly certificateOf?: string;
}

/**
 * A client of `service` as `identity`: a bearer token of the test's issuer and, on mutual TLS, a
 * client certificate of the platform CA naming the identity's subject (the guard requires it of
 * agencies, stations and services).
 */
export async function callerClient<S extends DescService>(
  service: S,
  address: string,
  identity: Identity,
  credentials: CallerCredentials,
  options: CallerOptions = {},
): Promise<GrpcClient<S>> {
  const authorization =
    options.authorization === undefined
      ? (await bearerFor(credentials.issuer, identity, 'data-sharing')).authorization
      : options.authorization;
  const tls = await credentials.certificate?.(options.certificateOf ?? identity.subject);
  return createClient(service, address, {
    credentials: channelCredentialsFor(tls),
    // The server's certificate names localhost; a TLS server name may not be an IP address.
    channelOptions: tls ? { 'grpc.ssl_target_name_override': 'localhost' } : undefined,
    metadata: (): Record<string, string> => (authorization === null ? {} : { authorization }),
    defaultTimeoutMs: 20_000,
  });
}

/** An agency's query client: its own token (`agency` claim `code`) and certificate. */
export function agencyClient(
  address: string,
  code: string,
  credentials: CallerCredentials,
): Promise<AgencyClient> {
  return callerClient(datasharing.AgencyQueryService, address, identities.agency(code), credentials);
}

/** A platform administrator's client of one of data sharing's services. */
export function adminClient<S extends DescService>(
  service: S,
  address: string,
  staff: string,
  credentials: CallerCredentials,
): Promise<GrpcClient<S>> {
  return callerClient(service, address, identities.administrator(staff), credentials);
}

export interface Harness {
  /** The Kafka-protocol broker; without one (`kafka: false`) the in-process transport on PostgreSQL. */
  readonly broker: KafkaBroker;
  readonly running: RunningDataSharing;
  readonly upstream: Upstream;
  readonly redis: TestRedis;
  readonly databaseUrl: string;
  /** Every line data sharing logged. */
  readonly logs: string[];
  /** The issuer data sharing trusts, and its callers' certificates from the CA of its mutual TLS. */
  readonly credentials: Required<CallerCredentials>;
  /** Two administrators, so that one requests and the other approves. */
  readonly requester: AdminClient;
  readonly approver: AdminClient;
  agency(code: string): Promise<AgencyClient>;
  /** A client of `service` as `identity` (closed with the harness). */
  client<S extends DescService>(
    service: S,
    identity: Identity,
    options?: CallerOptions,
  ): Promise<GrpcClient<S>>;
  /** Requests and approves a subscription; resolves once its back-fill is done. */
  subscribe(request: Parameters<AdminClient['requestSubscription']>[0]): Promise<datasharing.Subscription>;
  /** Waits until the projection holds `version` of the citizen's record. */
  projected(citizenId: string, version: number): Promise<void>;
  /** Waits until `reader` has received every record on its agency's topics. */
  received(reader: { records: readonly unknown[] }, agency: string): Promise<void>;
  /** Waits until nothing is left to project, back-fill or publish. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Data sharing in server mode on a fresh PostgreSQL database, Redis and the Kafka-protocol test
 * broker started with the catalogue's topics and the given agencies' partner topics — what the
 * deploy provisions when agencies are onboarded; mutual TLS from a development CA of its own, and
 * tokens from an in-memory development issuer standing for the OpenID provider.
 */
export async function startHarness(
  options: {
    agencies: readonly string[];
    /** false: no broker, the in-process transport on PostgreSQL (faster, for what Kafka adds nothing to). */
    kafka?: boolean;
    config?: Partial<DataSharingConfig>;
    today?: () => CalendarDate;
  } = { agencies: [] },
): Promise<Harness> {
  const broker =
    options.kafka === false
      ? undefined
      : await startKafkaBroker({
          topics: [
            ...catalogueTopics(),
            ...options.agencies.flatMap((a) =>
              partnerTopicsOf(a).map((t) => ({ name: t.name, partitions: t.partitions })),
            ),
          ],
          brokers: 1,
        });
  const database = await createTestDatabase('data_sharing');
  const redis = await connectTestRedis();
  const issuer = await DevelopmentIssuer.inMemory();
  // The platform CA, as cert-manager keeps one in a deployment; every identity's files in `pki`.
  const pki = await mkdtemp(join(tmpdir(), 'cancuoc-data-sharing-pki-'));
  const ca = await DevelopmentCa.inMemory();
  const issued = new Map<string, Promise<TlsFiles>>();
  const certificate = (subject: string): Promise<TlsFiles> => {
    let files = issued.get(subject);
    if (!files) {
      // A subject is `kind:name`, the kind letters only: `_` for `:` names each its own folder.
      files = ca.writeIdentity(join(pki, 'clients', subject.replace(':', '_')), subject);
      issued.set(subject, files);
    }
    return files;
  };
  const credentials = { issuer, certificate };
  const logs: string[] = [];
  const running = await startDataSharing(
    {
      databaseUrl: database.url,
      dataDir: undefined,
      redisUrl: TEST_REDIS_URL,
      // Under the test's own prefix, so the test's clean-up deletes what the service wrote.
      redisKeyPrefix: redis.keyPrefix,
      kafkaBrokers: broker?.bootstrapServers,
      kafkaIdempotent: false,
      grpcHost: '127.0.0.1',
      grpcPort: 0,
      auth: { mode: 'issuer', issuer },
      // The names a client on this machine dials.
      tls: await ca.writeIdentity(join(pki, 'server'), 'service:data-sharing', {
        dnsNames: ['localhost'],
        ipAddresses: ['127.0.0.1'],
      }),
      readsPerMinute: 10_000,
      verificationsPerMinute: 1_000,
      verificationsPerCitizenPerDay: 50,
      backfillBatchSize: 100,
      ...options.config,
    },
    {
      migrate: true,
      today: options.today ?? (() => TODAY),
      logger: createLogger({ service: 'data-sharing', write: (line) => logs.push(`${line}\n`) }),
    },
  );
  // Upstream events go through data sharing's own transport: the same broker or in-process log.
  const transport = running.transport;
  const address = running.grpc.address;
  const requester = await adminClient(datasharing.SubscriptionService, address, 'an', credentials);
  const approver = await adminClient(datasharing.SubscriptionService, address, 'binh', credentials);
  const clients: object[] = [];
  const harness: Harness = {
    broker: broker!,
    running,
    upstream: new Upstream(transport),
    redis,
    databaseUrl: database.url,
    logs,
    credentials,
    requester,
    approver,
    async agency(code) {
      const client = await agencyClient(address, code, credentials);
      clients.push(client);
      return client;
    },
    async client(service, identity, options) {
      const client = await callerClient(service, address, identity, credentials, options);
      clients.push(client);
      return client;
    },
    async subscribe(request) {
      const { subscription } = await requester.requestSubscription(request);
      await approver.approveSubscription({ subscriptionId: subscription!.subscriptionId });
      await harness.settled();
      return (await approver.getSubscription({ subscriptionId: subscription!.subscriptionId })).subscription!;
    },
    async projected(citizenId, version) {
      await eventually(`record ${version} of ${citizenId}`, async () => {
        const [row] = await running.db.query<{ v: number }>(
          `SELECT (state->>'recordVersion')::int AS v FROM ds_citizens WHERE citizen_id = $1`,
          [citizenId],
        );
        return (row?.v ?? 0) >= version;
      });
    },
    async received(reader, agency) {
      await eventually(`every record of ${agency}`, async () => {
        let total = 0n;
        for (const t of partnerTopicsOf(agency))
          for (const offset of (await transport.endOffsets(t.name)).values()) total += offset;
        return BigInt(reader.records.length) === total;
      });
    },
    async settled() {
      await eventually('data sharing to consume every upstream record', async () => {
        for (const topic of INBOUND_TOPICS) {
          const [end, committed] = await Promise.all([
            transport.endOffsets(topic),
            transport.committedOffsets(INBOUND_GROUP, topic),
          ]);
          for (const [partition, offset] of end) if ((committed.get(partition) ?? 0n) < offset) return false;
        }
        return true;
      });
      await eventually('the projection, back-fills and delivery to settle', async () => {
        const s = await running.operations.status();
        return s.lag === 0n && s.backfillsRunning === 0 && s.queued === 0n && !s.rebuilding;
      });
    },
    async close() {
      for (const c of [requester, approver, ...clients]) closeClient(c);
      await running.stop();
      await redis.close();
      await database.drop();
      await broker?.stop();
      await rm(pki, { recursive: true, force: true });
    },
  };
  return harness;
}

/** Fields of the partner contract in catalogue terms, for requests. */
export const F = partner.CitizenField;
export const DELIVERY = datasharing.Delivery;
