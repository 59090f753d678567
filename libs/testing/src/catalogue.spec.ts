import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { topicCatalogue } from '@cancuoc/proto';
import { Kafka, logLevel } from 'kafkajs';

const cli = fileURLToPath(new URL('./kafka-broker-cli.js', import.meta.url));

describe('test broker from the topic catalogue', () => {
  it('creates every catalogue topic, with its partitions, and its dead-letter topic', async () => {
    const proc = spawn(process.execPath, [cli, '--brokers', '1', '--catalogue'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const [line] = (await once(proc.stdout, 'data')) as [Buffer];
      const servers = /KAFKA_BROKERS=(\S+)/.exec(line.toString())?.[1];
      assert.ok(servers, line.toString());
      const admin = new Kafka({ brokers: servers.split(','), logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        const catalogue = topicCatalogue();
        assert.ok(catalogue.some((t) => t.name === 'internal.registry.citizen.v1.dlq'));
        const { topics } = await admin.fetchTopicMetadata({ topics: catalogue.map((t) => t.name) });
        const partitions = Object.fromEntries(topics.map((t) => [t.name, t.partitions.length]));
        assert.deepEqual(partitions, Object.fromEntries(catalogue.map((t) => [t.name, t.partitions])));
      } finally {
        await admin.disconnect();
      }
    } finally {
      const exited = once(proc, 'exit');
      proc.kill('SIGTERM');
      await exited;
    }
  });
});
