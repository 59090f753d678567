import type { InProcessTransport, KafkaSecurity } from '@cancuoc/messaging';
import { partnerTopicsOf } from '@cancuoc/proto';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import type { PartnerTopics } from '../../application/ports.js';

const RECHECK_MISSING_MS = 5_000;

/**
 * On a Kafka cluster: an agency's topics are ready when both exist with the catalogue's partition
 * count. They are looked for in the full topic list, never by name: some brokers (the test broker
 * among them) create a topic that a metadata request names. A missing topic is looked for again
 * after a few seconds, so delivery starts soon after the deploy provisions it.
 */
export class KafkaPartnerTopics implements PartnerTopics {
  private readonly kafka: Kafka;
  private admin: Promise<Admin> | undefined;
  private readonly readyAgencies = new Set<string>();
  private readonly missingUntil = new Map<string, number>();

  constructor(options: { brokers: readonly string[]; clientId: string } & KafkaSecurity) {
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: [...options.brokers],
      ssl: options.ssl,
      sasl: options.sasl,
      logLevel: logLevel.NOTHING,
      retry: { retries: 3 },
    });
  }

  private connection(): Promise<Admin> {
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })().catch((error: unknown) => {
      this.admin = undefined;
      throw error;
    });
    return this.admin;
  }

  async ready(agency: string): Promise<boolean> {
    if (this.readyAgencies.has(agency)) return true;
    if ((this.missingUntil.get(agency) ?? 0) > Date.now()) return false;
    const specs = partnerTopicsOf(agency);
    const admin = await this.connection();
    const existing = new Set(await admin.listTopics());
    let ready = specs.every((s) => existing.has(s.name));
    if (ready) {
      const { topics } = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.name) });
      ready = specs.every((s) => topics.find((t) => t.name === s.name)?.partitions.length === s.partitions);
    }
    if (ready) this.readyAgencies.add(agency);
    else this.missingUntil.set(agency, Date.now() + RECHECK_MISSING_MS);
    return ready;
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await admin?.then((a) => a.disconnect()).catch(() => undefined);
  }
}

/** Embedded: the in-process log is data sharing's own, so it makes an agency's topics itself. */
export class InProcessPartnerTopics implements PartnerTopics {
  private readonly created = new Set<string>();

  constructor(private readonly transport: InProcessTransport) {}

  async ready(agency: string): Promise<boolean> {
    if (!this.created.has(agency)) {
      await this.transport.createTopics(
        partnerTopicsOf(agency).map((t) => ({
          name: t.name,
          partitions: t.partitions,
          retentionMs: t.retentionMs,
        })),
      );
      this.created.add(agency);
    }
    return true;
  }
}
