import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { status, type ServiceError } from '@grpc/grpc-js';
import {
  alreadyExists,
  CONCURRENCY_CONFLICT,
  concurrencyConflict,
  failedPrecondition,
  invalidArgument,
  notFound,
  readErrorDetails,
  STATUS_DETAILS_KEY,
  type RpcError,
} from './errors.js';
import { StatusSchema } from './gen/google/rpc/status_pb.js';
import { INTERNAL_ERROR } from './service.js';
import { startEcho, type EchoFixture } from './test-support/echo.js';

/** A server whose Echo throws whatever the test puts in `nextError`. */
describe('error model over the wire', () => {
  let fixture: EchoFixture;
  let nextError: unknown;
  before(
    async () =>
      (fixture = await startEcho({
        echo() {
          throw nextError;
        },
        async *count(request) {
          yield { n: 1 };
          if (request.count > 1) throw new TypeError(`Cannot read properties of citizen 079203004512`);
        },
      })),
  );
  after(() => fixture.close());

  async function failWith(error: unknown): Promise<ServiceError> {
    nextError = error;
    try {
      await fixture.client.echo({ text: 'x' });
    } catch (thrown) {
      return thrown as ServiceError;
    }
    return assert.fail('the call succeeded');
  }

  it('INVALID_ARGUMENT carries a BadRequest with every field violation', async () => {
    const error = await failWith(
      invalidArgument([
        { field: 'citizen.birth_date', description: 'must be a date in the past', reason: 'INVALID_DATE' },
        { field: 'citizen.family_name', description: 'is required' },
      ]),
    );
    assert.equal(error.code, status.INVALID_ARGUMENT);
    const raw = error.metadata.get(STATUS_DETAILS_KEY)[0];
    assert.ok(raw instanceof Buffer, 'the grpc-status-details-bin trailer is present');
    assert.equal(fromBinary(StatusSchema, raw).code, status.INVALID_ARGUMENT);

    const details = readErrorDetails(error);
    assert.equal(details?.code, status.INVALID_ARGUMENT);
    assert.equal(details.message, 'invalid request: citizen.birth_date, citizen.family_name');
    assert.deepEqual(
      details.badRequest?.fieldViolations.map((v) => [v.field, v.description, v.reason]),
      [
        ['citizen.birth_date', 'must be a date in the past', 'INVALID_DATE'],
        ['citizen.family_name', 'is required', ''],
      ],
    );
    assert.equal(details.details.length, 1);
  });

  it('FAILED_PRECONDITION carries a PreconditionFailure and an ErrorInfo', async () => {
    const error = await failWith(
      failedPrecondition(
        [{ type: 'CITIZEN_STATE', subject: 'citizens/42', description: 'the citizen is deceased' }],
        undefined,
        { reason: 'CITIZEN_DECEASED', metadata: { citizen: 'citizens/42' } },
      ),
    );
    const details = readErrorDetails(error);
    assert.equal(details?.code, status.FAILED_PRECONDITION);
    assert.equal(details.message, 'the citizen is deceased');
    assert.deepEqual(
      details.preconditionFailure?.violations.map((v) => [v.type, v.subject, v.description]),
      [['CITIZEN_STATE', 'citizens/42', 'the citizen is deceased']],
    );
    assert.equal(details.errorInfo?.reason, 'CITIZEN_DECEASED');
    assert.equal(details.errorInfo.domain, 'cancuoc.gov.vn');
    assert.deepEqual(details.errorInfo.metadata, { citizen: 'citizens/42' });
  });

  it('NOT_FOUND and ALREADY_EXISTS name the resource', async () => {
    const missing = readErrorDetails(await failWith(notFound('citizen', 'citizens/7')));
    assert.equal(missing?.code, status.NOT_FOUND);
    assert.equal(missing.resourceInfo?.resourceType, 'citizen');
    assert.equal(missing.resourceInfo.resourceName, 'citizens/7');

    const duplicate = readErrorDetails(await failWith(alreadyExists('card application', 'applications/9')));
    assert.equal(duplicate?.code, status.ALREADY_EXISTS);
    assert.equal(duplicate.resourceInfo?.resourceName, 'applications/9');
  });

  it('ABORTED for a concurrency conflict is typed by its ErrorInfo', async () => {
    const details = readErrorDetails(await failWith(concurrencyConflict('citizen-42', 3, 4)));
    assert.equal(details?.code, status.ABORTED);
    assert.equal(details.errorInfo?.reason, CONCURRENCY_CONFLICT);
    assert.deepEqual(details.errorInfo.metadata, {
      stream: 'citizen-42',
      expectedVersion: '3',
      actualVersion: '4',
    });
  });

  it('an unexpected exception becomes INTERNAL with a generic message, and the logger gets it', async () => {
    const secret = new Error('duplicate key value violates unique constraint, personal_id=079203004512');
    const error = await failWith(secret);
    const details = readErrorDetails(error);
    assert.equal(details?.code, status.INTERNAL);
    const incident = details.errorInfo?.metadata['incident'];
    assert.match(incident ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(details.message, `internal error (incident ${incident})`);
    assert.equal(details.errorInfo?.reason, INTERNAL_ERROR);
    // Nothing of the exception reaches the client: not its message, not its stack.
    const everything = JSON.stringify([error.message, error.details, error.metadata.toJSON(), details]);
    assert.doesNotMatch(everything, /079203004512|unique constraint|errors\.spec|at /);

    const entry = fixture.logger.entries.at(-1);
    assert.equal(entry?.event, 'grpc.unexpected_error');
    assert.equal(entry.fields['incident'], incident);
    assert.equal(entry.fields['method'], '/cancuoc.grpctest.v1.EchoService/Echo');
    assert.equal(entry.fields['error'], secret);
  });

  it('so does a non-Error throw, and a throw in the middle of a stream', async () => {
    assert.equal(readErrorDetails(await failWith('a string'))?.code, status.INTERNAL);
    const logged = fixture.logger.entries.length;
    const seen: number[] = [];
    await assert.rejects(
      (async () => {
        for await (const m of fixture.client.count({ count: 2 })) seen.push(m.n);
      })(),
      (error: ServiceError) => {
        assert.equal(error.code, status.INTERNAL);
        assert.doesNotMatch(error.message, /079203004512|Cannot read/);
        return true;
      },
    );
    assert.deepEqual(seen, [1]);
    assert.equal(fixture.logger.entries.length, logged + 1);
  });

  it('readErrorDetails reads an RpcError directly and ignores what is not a gRPC error', () => {
    const error: RpcError = invalidArgument([{ field: 'a', description: 'b' }]);
    assert.equal(readErrorDetails(error)?.badRequest?.fieldViolations[0]?.field, 'a');
    assert.equal(readErrorDetails(new Error('plain')), undefined);
    assert.equal(readErrorDetails(undefined), undefined);
  });
});
