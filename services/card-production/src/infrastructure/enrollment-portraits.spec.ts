/**
 * Card production's calls to enrollment's GetPortrait with its own token, against the contract
 * test double (enrollment's policy: only the service `card-production` reads portraits): what a
 * refused or missing credential makes of the job's wait.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DevelopmentIssuer, developmentTokens, embeddedServiceAuth, identities } from '@cancuoc/auth';
import { PortraitUnavailableError } from '../application/ports.js';
import { EnrollmentDouble } from '../test-support/enrollment-double.js';
import { portrait } from '../test-support/portraits.js';
import { EnrollmentPortraits } from './enrollment-portraits.js';

describe('portraits from enrollment, with card production’s own token', () => {
  let issuer: DevelopmentIssuer;
  let enrollment: EnrollmentDouble;
  let face: { reference: string; sha256: string };
  const sources: EnrollmentPortraits[] = [];
  const portraits = (tokens: ConstructorParameters<typeof EnrollmentPortraits>[0]['tokens']) => {
    const source = new EnrollmentPortraits({ address: enrollment.address, tokens, timeoutMs: 10_000 });
    sources.push(source);
    return source;
  };
  const unavailable = (reason: string) => (error: unknown) => {
    assert.ok(error instanceof PortraitUnavailableError, String(error));
    assert.equal(error.reason, reason);
    return true;
  };

  before(async () => {
    issuer = await DevelopmentIssuer.inMemory();
    enrollment = new EnrollmentDouble(issuer);
    await enrollment.start();
    face = enrollment.hold('app-portraits-1', portrait('app-portraits-1'));
  });
  after(async () => {
    for (const source of sources) source.close();
    await enrollment?.stop();
  });

  it('fetches the portrait as service:card-production', async () => {
    const own = portraits(embeddedServiceAuth(issuer, 'card-production').tokens);
    const got = await own.getPortrait('app-portraits-1', face.reference);
    assert.equal(got.sha256, face.sha256);
    const call = enrollment.calls.at(-1);
    assert.deepEqual(
      [call?.applicationId, call?.reference, call?.actor],
      ['app-portraits-1', face.reference, 'service:card-production'],
    );
  });

  it('waits with ENROLLMENT_REFUSED_CREDENTIALS when enrollment refuses the token: another service’s, another issuer’s', async () => {
    const calls = enrollment.calls.length;
    const otherService = portraits(developmentTokens(issuer, identities.service('registry')));
    await assert.rejects(
      otherService.getPortrait('app-portraits-1', face.reference),
      unavailable('ENROLLMENT_REFUSED_CREDENTIALS'),
    );
    const otherIssuer = portraits(
      embeddedServiceAuth(await DevelopmentIssuer.inMemory(), 'card-production').tokens,
    );
    await assert.rejects(
      otherIssuer.getPortrait('app-portraits-1', face.reference),
      unavailable('ENROLLMENT_REFUSED_CREDENTIALS'),
    );
    assert.equal(enrollment.calls.length, calls, 'no portrait was released');
  });

  it('waits with ENROLLMENT_CREDENTIALS_UNAVAILABLE when no token can be had, without calling enrollment', async () => {
    const calls = enrollment.calls.length;
    const noToken = portraits({
      token: async () => {
        throw new Error('the token endpoint is unreachable');
      },
    });
    await assert.rejects(
      noToken.getPortrait('app-portraits-1', face.reference),
      unavailable('ENROLLMENT_CREDENTIALS_UNAVAILABLE'),
    );
    assert.equal(enrollment.calls.length, calls);
  });
});
