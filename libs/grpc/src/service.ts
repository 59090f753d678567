import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import {
  create,
  fromBinary,
  toBinary,
  type DescMessage,
  type DescMethod,
  type DescService,
  type Message,
  type MessageInitShape,
  type MessageShape,
} from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { context as otelContext } from '@opentelemetry/api';
import { CANCUOC_ERROR_DOMAIN, errorDetail, invalidArgument, RpcError } from './errors.js';
import { ErrorInfoSchema } from './gen/google/rpc/error_details_pb.js';
import { stderrLogger, type GrpcLogger } from './logger.js';
import { controlCharacterViolations } from './text-check.js';
import { startServerCall } from './telemetry.js';

export type MaybePromise<T> = T | Promise<T>;

/** What a handler knows about its call besides the request. */
export interface CallContext<Principal = unknown> {
  /** The RPC being served. */
  readonly method: DescMethod;
  /** `/package.Service/Method`. */
  readonly path: string;
  /** The request headers. */
  readonly metadata: grpc.Metadata;
  /** What the service's authentication hook returned for this call (undefined without a hook). */
  readonly principal: Principal;
  readonly peer: string;
  /** The client's deadline, if it set one. */
  readonly deadline: Date | undefined;
  /** Aborted when the client cancels or the deadline passes: pass it on to I/O. */
  readonly signal: AbortSignal;
  /** Aborted when the server begins a graceful shutdown: long-lived streams should wind down. */
  readonly draining: AbortSignal;
  /** Trailers sent with the final status, whether the call succeeds or fails. */
  readonly trailers: grpc.Metadata;
}

/** The context of a call whose responses are a stream: `send` writes one, waiting out backpressure. */
export interface StreamContext<Out extends DescMessage, Principal = unknown> extends CallContext<Principal> {
  send(message: MessageInitShape<Out>): Promise<void>;
}

export type UnaryHandler<In extends DescMessage, Out extends DescMessage, Principal = unknown> = (
  request: MessageShape<In>,
  call: CallContext<Principal>,
) => MaybePromise<MessageInitShape<Out>>;

/** Either an async generator of responses, or a function that `call.send`s them and resolves. */
export type ServerStreamingHandler<In extends DescMessage, Out extends DescMessage, Principal = unknown> = (
  request: MessageShape<In>,
  call: StreamContext<Out, Principal>,
) => AsyncIterable<MessageInitShape<Out>> | Promise<void>;

export type ClientStreamingHandler<In extends DescMessage, Out extends DescMessage, Principal = unknown> = (
  requests: AsyncIterable<MessageShape<In>>,
  call: CallContext<Principal>,
) => MaybePromise<MessageInitShape<Out>>;

export type BidiStreamingHandler<In extends DescMessage, Out extends DescMessage, Principal = unknown> = (
  requests: AsyncIterable<MessageShape<In>>,
  call: StreamContext<Out, Principal>,
) => AsyncIterable<MessageInitShape<Out>> | Promise<void>;

/** The handler type of one method, derived from its generated descriptor. */
export type MethodHandler<M, Principal = unknown> = M extends {
  methodKind: infer Kind;
  input: infer In extends DescMessage;
  output: infer Out extends DescMessage;
}
  ? Kind extends 'unary'
    ? UnaryHandler<In, Out, Principal>
    : Kind extends 'server_streaming'
      ? ServerStreamingHandler<In, Out, Principal>
      : Kind extends 'client_streaming'
        ? ClientStreamingHandler<In, Out, Principal>
        : BidiStreamingHandler<In, Out, Principal>
  : never;

/** One handler per RPC of the service, keyed by the method's local name (`getCitizen`). */
export type ServiceImplementation<S extends DescService, Principal = unknown> = {
  readonly [K in keyof S['method']]: MethodHandler<S['method'][K], Principal>;
};

/**
 * The authentication hook: gets the request headers (and the method, for per-method rules) and
 * returns the caller's principal, or throws (normally {@link unauthenticated}) to refuse the call
 * before the handler runs. An {@link RpcError} goes to the client as it is; any other exception is
 * an unexpected failure (INTERNAL).
 */
export type Authenticator<Principal> = (
  metadata: grpc.Metadata,
  method: DescMethod,
  transport: CallTransport,
) => MaybePromise<Principal>;

/** The client certificate of a mutual-TLS connection, as the server verified it against its CA. */
export interface PeerCertificate {
  /** The subject's common name. */
  readonly commonName: string | undefined;
  /** `subjectAltName` entries: `DNS:…` and `URI:…`. */
  readonly subjectAltNames: readonly string[];
  /** SHA-256 of the DER certificate, base64url (the `x5t#S256` of RFC 8705). */
  readonly thumbprint: string;
}

/** What the connection says about the caller, beside the metadata. */
export interface CallTransport {
  /** `ipv4:127.0.0.1:53012` and the like. */
  readonly peer: string;
  /** The verified client certificate on a mutual-TLS connection; undefined on plaintext. */
  readonly certificate: PeerCertificate | undefined;
}

type AnyHandler = (input: never, call: never) => unknown;

/** A service descriptor bound to its implementation, ready for {@link startGrpcServer}. */
export interface ServiceRegistration {
  readonly service: DescService;
  readonly implementation: Readonly<Record<string, AnyHandler>>;
  readonly authenticate?: Authenticator<unknown> | undefined;
}

export interface AuthenticatedServiceOptions<Principal> {
  readonly authenticate: Authenticator<Principal>;
}

/**
 * Binds a generated service (`GenService` from `*_pb.ts`) to its handlers, type-checked against the
 * descriptor: every RPC must have a handler of the right kind. Without options, calls need no
 * credentials and `call.principal` is undefined.
 */
export function defineService<S extends DescService>(
  service: S,
  implementation: ServiceImplementation<S, undefined>,
): ServiceRegistration;
/**
 * The same, behind an authentication hook: it runs before every call and what it returns is
 * `call.principal` (typed from the hook's return type — which is why the options come before the
 * handlers).
 */
export function defineService<S extends DescService, Principal>(
  service: S,
  options: AuthenticatedServiceOptions<Principal>,
  implementation: ServiceImplementation<S, Principal>,
): ServiceRegistration;
export function defineService(
  service: DescService,
  implementationOrOptions: object,
  implementation?: object,
): ServiceRegistration {
  const options = implementation
    ? (implementationOrOptions as AuthenticatedServiceOptions<unknown>)
    : undefined;
  return {
    service,
    implementation: (implementation ?? implementationOrOptions) as Readonly<Record<string, AnyHandler>>,
    authenticate: options?.authenticate,
  };
}

/** `/package.Service/Method`, the HTTP/2 path of an RPC. */
export function methodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

function serializer(schema: DescMessage): (message: Message) => Buffer {
  return (message) => {
    const bytes = toBinary(schema, message);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

/**
 * Bytes that are not a message of the method's input type. grpc-js answers INTERNAL when a
 * deserializer throws — before authentication, and as if the server were at fault — so the
 * deserializer returns this instead and the call answers UNAUTHENTICATED or INVALID_ARGUMENT in
 * its turn (see {@link decoded}).
 */
class Undecodable {
  constructor(readonly typeName: string) {}
}

function deserializer(schema: DescMessage): (bytes: Buffer) => Message {
  return (bytes) => {
    try {
      return fromBinary(schema, bytes);
    } catch {
      return new Undecodable(schema.typeName) as unknown as Message;
    }
  };
}

/**
 * The request itself, or INVALID_ARGUMENT when its bytes did not decode or its text holds control
 * characters — checked for every RPC here, before authentication's result reaches a handler.
 */
function decoded(schema: DescMessage, message: Message): Message {
  if (message instanceof Undecodable) {
    throw invalidArgument(
      [
        {
          field: '',
          reason: 'UNDECODABLE',
          description: `the request is not a valid ${message.typeName} message`,
        },
      ],
      'the request could not be decoded',
    );
  }
  const violations = controlCharacterViolations(schema, message);
  if (violations.length > 0) throw invalidArgument(violations);
  return message;
}

/** The grpc-js method definition of one RPC: path, streaming flags, protobuf-es (de)serializers. */
export function grpcMethodDefinition(method: DescMethod): grpc.MethodDefinition<Message, Message> {
  return {
    path: methodPath(method),
    requestStream: method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming',
    responseStream: method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
    requestSerialize: serializer(method.input),
    requestDeserialize: deserializer(method.input),
    responseSerialize: serializer(method.output),
    responseDeserialize: deserializer(method.output),
    originalName: method.localName,
  };
}

/** The grpc-js `ServiceDefinition` of a protobuf-es service descriptor, keyed by method name. */
export function grpcServiceDefinition(service: DescService): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<Message, Message>> = {};
  for (const method of service.methods) definition[method.name] = grpcMethodDefinition(method);
  return definition;
}

/** What every call of a server shares. */
export interface HandlerRuntime {
  readonly logger: GrpcLogger;
  /** Aborted when the server starts draining. */
  readonly draining: AbortSignal;
}

/** The `ErrorInfo.reason` of the INTERNAL status an unexpected exception becomes. */
export const INTERNAL_ERROR = 'INTERNAL_ERROR';

/**
 * Maps what a handler threw to the status the client gets. An {@link RpcError} is sent as it is;
 * anything else is reported to the logger under a fresh incident id and becomes INTERNAL with a
 * generic message and `ErrorInfo{reason: INTERNAL_ERROR, metadata: {incident}}`, so no stack trace or
 * request data leaves the server but support can find the log entry.
 */
export function toStatusObject(
  error: unknown,
  path: string,
  logger: GrpcLogger,
): { code: grpc.status; details: string; metadata: grpc.Metadata } {
  if (error instanceof RpcError) return error.toStatusObject();
  const incident = randomUUID();
  logger.error('grpc.unexpected_error', { method: path, incident, error });
  return new RpcError(grpc.status.INTERNAL, `internal error (incident ${incident})`, [
    errorDetail(ErrorInfoSchema, {
      reason: INTERNAL_ERROR,
      domain: CANCUOC_ERROR_DOMAIN,
      metadata: { incident },
    }),
  ]).toStatusObject();
}

type ServerCall =
  | grpc.ServerUnaryCall<Message, Message>
  | grpc.ServerReadableStream<Message, Message>
  | grpc.ServerWritableStream<Message, Message>
  | grpc.ServerDuplexStream<Message, Message>;

function callContext(
  method: DescMethod,
  call: ServerCall,
  runtime: HandlerRuntime,
): CallContext<unknown> & { principal: unknown } {
  const cancelled = new AbortController();
  if (call.cancelled) cancelled.abort();
  else (call as NodeJS.EventEmitter).once('cancelled', () => cancelled.abort());
  const deadline = call.getDeadline();
  return {
    method,
    path: methodPath(method),
    metadata: call.metadata,
    principal: undefined,
    peer: call.getPeer(),
    deadline:
      deadline instanceof Date ? deadline : Number.isFinite(deadline) ? new Date(deadline) : undefined,
    signal: cancelled.signal,
    draining: runtime.draining,
    trailers: new grpc.Metadata(),
  };
}

function streamContext(
  method: DescMethod,
  call: grpc.ServerWritableStream<Message, Message> | grpc.ServerDuplexStream<Message, Message>,
  runtime: HandlerRuntime,
): StreamContext<DescMessage, unknown> & { principal: unknown } {
  const context = callContext(method, call, runtime);
  return Object.assign(context, {
    async send(message: MessageInitShape<DescMessage>): Promise<void> {
      if (call.cancelled || context.signal.aborted) {
        throw new RpcError(grpc.status.CANCELLED, 'the call was cancelled');
      }
      if (!call.write(create(method.output, message))) {
        await once(call, 'drain', { signal: context.signal });
      }
    },
  });
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

function transportOf(call: ServerCall): CallTransport {
  const certificate = call.getAuthContext().sslPeerCertificate;
  return {
    peer: call.getPeer(),
    certificate:
      certificate?.raw && certificate.raw.length > 0
        ? {
            commonName: typeof certificate.subject?.CN === 'string' ? certificate.subject.CN : undefined,
            subjectAltNames: (certificate.subjectaltname ?? '')
              .split(',')
              .map((entry) => entry.trim())
              .filter((entry) => entry !== ''),
            thumbprint: createHash('sha256').update(certificate.raw).digest('base64url'),
          }
        : undefined,
  };
}

async function authenticate(
  registration: ServiceRegistration,
  context: { principal: unknown; metadata: grpc.Metadata; method: DescMethod },
  call: ServerCall,
): Promise<void> {
  if (registration.authenticate) {
    context.principal = await registration.authenticate(context.metadata, context.method, transportOf(call));
  }
}

/**
 * Serves a call with one response (unary or client streaming): authenticate, run the handler on the
 * call's input, answer with its result and the trailers, or with the failure as a status.
 */
function singleResponse<
  Call extends grpc.ServerUnaryCall<Message, Message> | grpc.ServerReadableStream<Message, Message>,
>(
  registration: ServiceRegistration,
  method: DescMethod,
  handler: AnyHandler,
  runtime: HandlerRuntime,
  input: (call: Call, context: CallContext) => unknown,
): (call: Call, callback: grpc.sendUnaryData<Message>) => void {
  const run = handler as unknown as (
    request: unknown,
    call: CallContext,
  ) => MaybePromise<MessageInitShape<DescMessage>>;
  return (call, callback) => {
    const context = callContext(method, call, runtime);
    const telemetry = startServerCall(method, call.metadata);
    // The handler and everything it awaits run in the call's trace context.
    otelContext.with(telemetry.context, () => {
      void (async () => {
        try {
          await authenticate(registration, context, call);
          const response = create(method.output, await run(input(call, context), context));
          callback(null, response, context.trailers);
          telemetry.end(grpc.status.OK);
        } catch (error) {
          const status = failure(error, context, runtime);
          callback(status);
          telemetry.end(status.code);
        }
      })();
    });
  };
}

function unaryHandler(
  registration: ServiceRegistration,
  method: DescMethod,
  handler: AnyHandler,
  runtime: HandlerRuntime,
): grpc.handleUnaryCall<Message, Message> {
  return singleResponse(
    registration,
    method,
    handler,
    runtime,
    (call: grpc.ServerUnaryCall<Message, Message>) => decoded(method.input, call.request),
  );
}

function clientStreamingHandler(
  registration: ServiceRegistration,
  method: DescMethod,
  handler: AnyHandler,
  runtime: HandlerRuntime,
): grpc.handleClientStreamingCall<Message, Message> {
  return singleResponse(
    registration,
    method,
    handler,
    runtime,
    (call: grpc.ServerReadableStream<Message, Message>, context) =>
      readRequests(call, method.input, context.signal),
  );
}

function responseStreamHandler(
  registration: ServiceRegistration,
  method: DescMethod,
  handler: AnyHandler,
  runtime: HandlerRuntime,
): grpc.handleServerStreamingCall<Message, Message> & grpc.handleBidiStreamingCall<Message, Message> {
  const run = handler as unknown as (input: unknown, call: StreamContext<DescMessage>) => unknown;
  return (call: grpc.ServerWritableStream<Message, Message> | grpc.ServerDuplexStream<Message, Message>) => {
    const context = streamContext(method, call, runtime);
    const telemetry = startServerCall(method, call.metadata);
    otelContext.with(telemetry.context, () => {
      void (async () => {
        try {
          await authenticate(registration, context, call);
          const input =
            method.methodKind === 'server_streaming'
              ? decoded(method.input, (call as grpc.ServerWritableStream<Message, Message>).request)
              : readRequests(call as grpc.ServerDuplexStream<Message, Message>, method.input, context.signal);
          const output = run(input, context);
          if (isAsyncIterable(output)) {
            for await (const message of output) {
              await context.send(message as MessageInitShape<DescMessage>);
            }
          } else {
            await output;
          }
          if (call.cancelled) {
            telemetry.end(grpc.status.CANCELLED);
          } else {
            call.end(context.trailers);
            telemetry.end(grpc.status.OK);
          }
        } catch (error) {
          const status = failure(error, context, runtime);
          if (!call.cancelled) call.emit('error', status);
          telemetry.end(call.cancelled ? grpc.status.CANCELLED : status.code);
        }
      })();
    });
  };
}

/** The request stream of a client- or bidi-streaming call, ending early if the call is cancelled. */
async function* readRequests(
  call: grpc.ServerReadableStream<Message, Message> | grpc.ServerDuplexStream<Message, Message>,
  schema: DescMessage,
  signal: AbortSignal,
): AsyncGenerator<Message> {
  if (signal.aborted) throw new RpcError(grpc.status.CANCELLED, 'the call was cancelled');
  const onAbort = () => call.destroy();
  signal.addEventListener('abort', onAbort, { once: true });
  // Read by hand rather than with for-await: leaving a for-await over the call early (a bad
  // message) would destroy the stream, and the status explaining why would never be sent.
  const messages = (call as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await messages.next();
      if (next.done) break;
      yield decoded(schema, next.value as Message);
    }
  } catch (error) {
    if (signal.aborted) throw new RpcError(grpc.status.CANCELLED, 'the call was cancelled');
    throw error;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  if (signal.aborted) throw new RpcError(grpc.status.CANCELLED, 'the call was cancelled');
}

function failure(
  error: unknown,
  context: CallContext<unknown>,
  runtime: HandlerRuntime,
): { code: grpc.status; details: string; metadata: grpc.Metadata } {
  // After a cancellation nobody receives the status; an exception caused by the abort is no incident.
  if (context.signal.aborted) {
    return { code: grpc.status.CANCELLED, details: 'the call was cancelled', metadata: context.trailers };
  }
  const status = toStatusObject(error, context.path, runtime.logger);
  status.metadata.merge(context.trailers);
  return status;
}

/**
 * The grpc-js handlers of a registration (for `server.addService(grpcServiceDefinition(service), …)`):
 * each one authenticates, runs the typed handler, encodes the response and maps failures with
 * {@link toStatusObject}. An RPC without a handler answers UNIMPLEMENTED.
 */
export function grpcImplementation(
  registration: ServiceRegistration,
  runtime: HandlerRuntime = { logger: stderrLogger, draining: new AbortController().signal },
): grpc.UntypedServiceImplementation {
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const method of registration.service.methods) {
    const handler = registration.implementation[method.localName];
    if (typeof handler !== 'function') continue;
    switch (method.methodKind) {
      case 'unary':
        implementation[method.name] = unaryHandler(registration, method, handler, runtime);
        break;
      case 'client_streaming':
        implementation[method.name] = clientStreamingHandler(registration, method, handler, runtime);
        break;
      case 'server_streaming':
      case 'bidi_streaming':
        implementation[method.name] = responseStreamHandler(registration, method, handler, runtime);
        break;
    }
  }
  return implementation;
}
