/**
 * The caller matrix over the wire (issue 17): every RPC of every service of a running embedded
 * platform, called by each of thirteen callers with tokens from the platform's own issuer. A caller
 * the matrix denies gets PERMISSION_DENIED `NOT_ALLOWED` from the guard before any handler runs; a
 * caller it allows gets past the guard (its empty request may then be refused for what it is).
 * The expectations are written by caller in @cancuoc/auth/testing, apart from the policy.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { STATION_TOKEN_HEADER, type Identity } from '@cancuoc/auth';
import { allServices, audienceOf, CALLERS, expectedCallers, type CallerName } from '@cancuoc/auth/testing';
import { status } from '@cancuoc/grpc';
import { startPlatform, type RunningPlatform, type ServiceName } from '@cancuoc/platform';
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import { call } from './support/raw-call.js';

describe('the caller matrix against a running embedded platform', () => {
  let folder: string;
  let platform: RunningPlatform;
  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'cancuoc-matrix-'));
    platform = await startPlatform({
      dataDir: folder,
      ports: { registry: 0, enrollment: 0, 'card-production': 0, 'data-sharing': 0 },
      env: { ...process.env, LOG_LEVEL: 'error' },
    });
  });
  after(async () => {
    await platform?.stop();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it(
    'refuses every caller the matrix denies, at every RPC, and lets the others through the guard',
    { timeout: 600_000 },
    async () => {
      const clients = new Map<string, Client>();
      const clientFor = (service: ServiceName) => {
        let client = clients.get(service);
        if (!client)
          clients.set(
            service,
            (client = new Client(platform.addresses[service], credentials.createInsecure())),
          );
        return client;
      };
      const mismatches: string[] = [];
      let calls = 0;
      try {
        for (const service of allServices()) {
          const audience = audienceOf(service) as ServiceName;
          for (const method of service.methods) {
            const allowed = new Set(expectedCallers(method));
            for (const [name, identity] of Object.entries(CALLERS) as [CallerName, Identity][]) {
              calls += 1;
              // A subject per call: the refusals this test provokes on purpose must not add up to
              // the per-caller block.
              const caller = { ...identity, subject: `${identity.subject}-${calls}` };
              const metadata = new Metadata();
              metadata.set('authorization', `Bearer ${await platform.issuer.mint({ ...caller, audience })}`);
              if (name === 'operatorAtStation')
                metadata.set(
                  STATION_TOKEN_HEADER,
                  await platform.issuer.mint({ ...CALLERS.enrollmentStation, audience }),
                );
              const { code, reason } = await call(clientFor(audience), method, metadata);
              const refusedByGuard = code === status.PERMISSION_DENIED && reason === 'NOT_ALLOWED';
              const ok = allowed.has(name)
                ? !refusedByGuard &&
                  code !== status.UNAUTHENTICATED &&
                  code !== status.INTERNAL &&
                  code !== status.UNKNOWN
                : refusedByGuard;
              if (!ok)
                mismatches.push(
                  `${service.typeName}/${method.name} as ${name}: ${status[code]} ${reason ?? ''}`,
                );
            }
          }
        }
      } finally {
        for (const client of clients.values()) client.close();
      }
      assert.deepEqual(mismatches, []);
      assert.equal(
        calls,
        allServices().reduce((n, s) => n + s.methods.length, 0) * Object.keys(CALLERS).length,
      );
    },
  );
});
