import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RpcError } from '@cancuoc/grpc';
import { status } from '@grpc/grpc-js';
import { DevelopmentIssuer } from '../development-issuer.js';
import { guard, STATION_TOKEN_HEADER } from '../guard.js';
import { identities, type Identity } from '../identities.js';
import {
  allServices,
  audienceOf,
  CALLERS,
  expectedCallers,
  type CallerName,
} from '../testing/caller-matrix.js';
import { TokenVerifier } from '../verifier.js';
import { platformPolicy } from './platform.js';
import { Metadata } from '@grpc/grpc-js';

describe('the platform policy', () => {
  const services = allServices();

  it('covers every RPC of every service the contracts define (deny by default)', () => {
    assert.ok(services.length >= 10, `found ${services.length} services`);
    const missing = services.flatMap((s) =>
      s.methods.filter((m) => !platformPolicy.ruleFor(m)).map((m) => `${s.typeName}/${m.name}`),
    );
    assert.deepEqual(missing, []);
    assert.deepEqual(platformPolicy.services().sort(), services.map((s) => s.typeName).sort());
  });

  it('allows each caller exactly the RPCs the matrix lists, and refuses the rest before any handler', async () => {
    const issuer = await DevelopmentIssuer.inMemory();
    const transport = { peer: 'ipv4:127.0.0.1:5000', certificate: undefined };
    const mismatches: string[] = [];
    let calls = 0;
    for (const service of services) {
      const audience = audienceOf(service);
      const authenticate = guard({
        verifier: new TokenVerifier({ issuer: issuer.issuer, audience, keys: issuer.keys() }),
        policy: platformPolicy,
      });
      for (const method of service.methods) {
        const expected = new Set(expectedCallers(method));
        for (const [name, identity] of Object.entries(CALLERS) as [CallerName, Identity][]) {
          const metadata = new Metadata();
          metadata.set('authorization', `Bearer ${await issuer.mint({ ...identity, audience })}`);
          if (name === 'operatorAtStation')
            metadata.set(
              STATION_TOKEN_HEADER,
              await issuer.mint({ ...identities.enrollmentStation('hn-07'), audience }),
            );
          calls += 1;
          const outcome = await Promise.resolve(
            authenticate(metadata, method, { ...transport, peer: `ipv4:10.0.${calls % 250}.1:1` }),
          ).then(
            () => 'allowed',
            (error: unknown) => {
              assert.ok(error instanceof RpcError, String(error));
              assert.equal(
                error.code,
                status.PERMISSION_DENIED,
                `${name} on ${method.name}: ${error.message}`,
              );
              return 'denied';
            },
          );
          if ((outcome === 'allowed') !== expected.has(name))
            mismatches.push(`${service.typeName}/${method.name} ${name}: ${outcome}`);
        }
      }
    }
    assert.deepEqual(mismatches, []);
    const rpcs = services.reduce((n, s) => n + s.methods.length, 0);
    assert.equal(calls, rpcs * Object.keys(CALLERS).length);
  });
});
