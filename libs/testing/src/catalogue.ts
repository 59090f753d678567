import { topicCatalogue } from '@cancuoc/proto';
import type { KafkaTopicSpec } from './kafka-broker.js';

/** Every topic of the catalogue (libs/proto), as the test broker creates them. */
export function catalogueTopics(): KafkaTopicSpec[] {
  return topicCatalogue().map((t) => ({ name: t.name, partitions: t.partitions }));
}
