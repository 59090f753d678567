import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createFileRegistry, fromBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { status } from '@grpc/grpc-js';
import { createClient, type GrpcClient } from './client.js';
import { readErrorDetails, unauthenticated } from './errors.js';
import { Health } from './gen/grpc/health/v1/health_pb.js';
import { OVERALL_HEALTH, ServingStatus } from './health.js';
import { healthListenerFromEnv } from './server.js';
import { EchoService, startAuthenticatedEcho, startEcho, type EchoFixture } from './test-support/echo.js';
import {
  ServerReflection,
  type ServerReflectionRequestSchema,
  type ServerReflectionResponse,
} from './test-support/gen/grpc/reflection/v1/reflection_pb.js';

describe('grpc.health.v1', () => {
  let fixture: EchoFixture;
  let health: GrpcClient<typeof Health>;
  before(async () => {
    // The application service demands credentials; health checks (kubelet, load balancers) must not.
    fixture = await startAuthenticatedEcho(() => {
      throw unauthenticated();
    });
    health = createClient(Health, fixture.server.address, { defaultTimeoutMs: 5_000 });
  });
  after(async () => {
    health[Symbol.dispose]();
    await fixture.close();
  });

  it('Check answers SERVING for the server and each service once it is bound, without credentials', async () => {
    assert.equal((await health.check({ service: OVERALL_HEALTH })).status, ServingStatus.SERVING);
    assert.equal((await health.check({ service: EchoService.typeName })).status, ServingStatus.SERVING);
  });

  it('Check follows the status the service sets, and NOT_FOUND for an unknown service', async () => {
    fixture.server.health.set(EchoService.typeName, ServingStatus.NOT_SERVING);
    assert.equal((await health.check({ service: EchoService.typeName })).status, ServingStatus.NOT_SERVING);
    assert.equal((await health.check({ service: '' })).status, ServingStatus.SERVING);
    fixture.server.health.set(EchoService.typeName, ServingStatus.SERVING);
    assert.equal((await health.check({ service: EchoService.typeName })).status, ServingStatus.SERVING);

    await assert.rejects(
      health.check({ service: 'cancuoc.nothing.v1.Nothing' }),
      (error) => readErrorDetails(error)?.code === status.NOT_FOUND,
    );
  });

  it('List reports every service', async () => {
    const { statuses } = await health.list({});
    assert.deepEqual(Object.keys(statuses).sort(), ['', EchoService.typeName]);
    assert.equal(statuses[EchoService.typeName]?.status, ServingStatus.SERVING);
  });

  it('Watch sends the current status, then every change', async () => {
    const controller = new AbortController();
    const seen: ServingStatus[] = [];
    const watching = (async () => {
      try {
        for await (const change of health.watch(
          { service: EchoService.typeName },
          { signal: controller.signal, timeoutMs: 10_000 },
        )) {
          seen.push(change.status);
          if (seen.length === 1) fixture.server.health.set(EchoService.typeName, ServingStatus.NOT_SERVING);
          if (seen.length === 2) fixture.server.health.set(EchoService.typeName, ServingStatus.SERVING);
          if (seen.length === 3) break;
        }
      } finally {
        controller.abort();
      }
    })();
    await watching;
    assert.deepEqual(seen, [ServingStatus.SERVING, ServingStatus.NOT_SERVING, ServingStatus.SERVING]);
  });

  it('Watch on an unknown service says SERVICE_UNKNOWN and keeps the stream open', async () => {
    for await (const change of health.watch({ service: 'cancuoc.later.v1.Later' })) {
      assert.equal(change.status, ServingStatus.SERVICE_UNKNOWN);
      break;
    }
  });
});

describe('server reflection', () => {
  let fixture: EchoFixture;
  let reflection: GrpcClient<typeof ServerReflection>;
  before(async () => {
    fixture = await startEcho();
    reflection = createClient(ServerReflection, fixture.server.address, { defaultTimeoutMs: 5_000 });
  });
  after(async () => {
    reflection[Symbol.dispose]();
    await fixture.close();
  });

  async function ask(
    ...requests: MessageInitShape<typeof ServerReflectionRequestSchema>[]
  ): Promise<ServerReflectionResponse[]> {
    const responses: ServerReflectionResponse[] = [];
    for await (const response of reflection.serverReflectionInfo(requests)) responses.push(response);
    return responses;
  }

  it('lists the application service and health', async () => {
    const [response] = await ask({ messageRequest: { case: 'listServices', value: '' } });
    assert.equal(response?.messageResponse.case, 'listServicesResponse');
    const names = response.messageResponse.value.service.map((s) => s.name).sort();
    assert.deepEqual(names, ['cancuoc.grpctest.v1.EchoService', 'grpc.health.v1.Health']);
  });

  it('serves the descriptors a client needs to call a method, from the generated code', async () => {
    const request: MessageInitShape<typeof ServerReflectionRequestSchema> = {
      messageRequest: { case: 'fileContainingSymbol', value: 'cancuoc.grpctest.v1.EchoService' },
    };
    const [response] = await ask(request);
    assert.equal(response?.messageResponse.case, 'fileDescriptorResponse');
    const files = response.messageResponse.value.fileDescriptorProto.map((bytes) =>
      fromBinary(FileDescriptorProtoSchema, bytes),
    );
    assert.deepEqual(
      files.map((f) => f.name),
      ['cancuoc/grpctest/v1/echo.proto'],
    );
    // The descriptors are complete enough to rebuild the service and its messages.
    const rebuilt = createFileRegistry(files[0]!, () => undefined);
    const service = rebuilt.getService('cancuoc.grpctest.v1.EchoService');
    assert.deepEqual(
      service?.methods.map((m) => [m.name, m.methodKind, m.input.typeName]),
      [
        ['Echo', 'unary', 'cancuoc.grpctest.v1.EchoRequest'],
        ['Register', 'unary', 'cancuoc.grpctest.v1.RegisterRequest'],
        ['Count', 'server_streaming', 'cancuoc.grpctest.v1.CountRequest'],
        ['Sum', 'client_streaming', 'cancuoc.grpctest.v1.SumRequest'],
        ['Shout', 'bidi_streaming', 'cancuoc.grpctest.v1.ShoutRequest'],
      ],
    );
  });

  it('answers an unknown symbol with NOT_FOUND inside the stream', async () => {
    const [response] = await ask({
      messageRequest: { case: 'fileContainingSymbol', value: 'cancuoc.nothing.v1.Nothing' },
    } satisfies MessageInitShape<typeof ServerReflectionRequestSchema>);
    assert.equal(response?.messageResponse.case, 'errorResponse');
    assert.equal(response.messageResponse.value.errorCode, status.NOT_FOUND);
  });

  it('finds the file of a message and of a file name', async () => {
    const [bySymbol, byName] = await ask(
      { messageRequest: { case: 'fileContainingSymbol', value: 'grpc.health.v1.HealthCheckResponse' } },
      { messageRequest: { case: 'fileByFilename', value: 'grpc/health/v1/health.proto' } },
    );
    assert.equal(bySymbol?.messageResponse.case, 'fileDescriptorResponse');
    const response = byName;
    assert.equal(response?.messageResponse.case, 'fileDescriptorResponse');
    const names = response.messageResponse.value.fileDescriptorProto.map(
      (bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name,
    );
    assert.deepEqual(names, ['grpc/health/v1/health.proto']);
  });
});

describe('a health-only listener', () => {
  it('answers probes in plaintext with the server’s statuses, serves nothing else, and goes with it', async () => {
    const fixture = await startEcho({}, { healthListener: { host: '127.0.0.1', port: 0 } });
    const port = fixture.server.healthPort;
    assert.ok(port && port !== fixture.server.port);
    const probe = createClient(Health, `127.0.0.1:${port}`, { defaultTimeoutMs: 5_000 });
    const echo = createClient(EchoService, `127.0.0.1:${port}`, { defaultTimeoutMs: 5_000 });
    try {
      assert.equal((await probe.check({ service: EchoService.typeName })).status, ServingStatus.SERVING);
      fixture.server.health.set(EchoService.typeName, ServingStatus.NOT_SERVING);
      assert.equal((await probe.check({ service: EchoService.typeName })).status, ServingStatus.NOT_SERVING);
      await assert.rejects(
        echo.echo({ text: 'x' }),
        (error) => readErrorDetails(error)?.code === status.UNIMPLEMENTED,
      );
      await fixture.close();
      await assert.rejects(
        probe.check({ service: '' }),
        (error) => readErrorDetails(error)?.code === status.UNAVAILABLE,
      );
    } finally {
      probe[Symbol.dispose]();
      echo[Symbol.dispose]();
    }
  });

  it('is read from CANCUOC_HEALTH_HOST and CANCUOC_HEALTH_PORT', () => {
    assert.equal(healthListenerFromEnv({}), undefined);
    assert.deepEqual(healthListenerFromEnv({ CANCUOC_HEALTH_PORT: '8081' }), { host: '0.0.0.0', port: 8081 });
    assert.deepEqual(
      healthListenerFromEnv({ CANCUOC_HEALTH_PORT: '8081', CANCUOC_HEALTH_HOST: '10.1.2.3' }),
      {
        host: '10.1.2.3',
        port: 8081,
      },
    );
    assert.throws(() => healthListenerFromEnv({ CANCUOC_HEALTH_PORT: 'http' }), /CANCUOC_HEALTH_PORT/);
  });
});
