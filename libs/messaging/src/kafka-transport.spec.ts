import { kafkaEnvironment } from './test-support/environments.js';
import { transportContract } from './test-support/transport-contract.js';

transportContract('kafka (Kafka-protocol broker, PostgreSQL)', kafkaEnvironment);
