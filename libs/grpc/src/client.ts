import { once } from 'node:events';
import {
  create,
  type DescMessage,
  type DescMethod,
  type DescService,
  type Message,
  type MessageInitShape,
  type MessageShape,
} from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { IDEMPOTENCY_KEY_HEADER } from './idempotency.js';
import { grpcMethodDefinition, type MaybePromise } from './service.js';
import { codeOfFailure, startClientCall, type ClientCallTelemetry } from './telemetry.js';

/** Per-call options of a generated client method. */
export interface CallOptions {
  /** Request headers, added to the client's default metadata. */
  readonly metadata?: grpc.Metadata | Readonly<Record<string, string>>;
  /** Relative deadline; overrides the client's `defaultTimeoutMs`. */
  readonly timeoutMs?: number;
  /** Absolute deadline; wins over `timeoutMs`. */
  readonly deadline?: Date;
  /** Cancels the call (the promise rejects / the stream throws with CANCELLED). */
  readonly signal?: AbortSignal;
  /** Sent as the `idempotency-key` header; reuse it when retrying the same mutation. */
  readonly idempotencyKey?: string;
}

export type UnaryMethod<In extends DescMessage, Out extends DescMessage> = (
  request: MessageInitShape<In>,
  options?: CallOptions,
) => Promise<MessageShape<Out>>;

/** Iterate the responses with `for await`; breaking out of the loop cancels the call. */
export type ServerStreamingMethod<In extends DescMessage, Out extends DescMessage> = (
  request: MessageInitShape<In>,
  options?: CallOptions,
) => AsyncGenerator<MessageShape<Out>, void, undefined>;

export type ClientStreamingMethod<In extends DescMessage, Out extends DescMessage> = (
  requests: AsyncIterable<MessageInitShape<In>> | Iterable<MessageInitShape<In>>,
  options?: CallOptions,
) => Promise<MessageShape<Out>>;

export type BidiStreamingMethod<In extends DescMessage, Out extends DescMessage> = (
  requests: AsyncIterable<MessageInitShape<In>> | Iterable<MessageInitShape<In>>,
  options?: CallOptions,
) => AsyncGenerator<MessageShape<Out>, void, undefined>;

/** The client method of one RPC, derived from its generated descriptor. */
export type ClientMethod<M> = M extends {
  methodKind: infer Kind;
  input: infer In extends DescMessage;
  output: infer Out extends DescMessage;
}
  ? Kind extends 'unary'
    ? UnaryMethod<In, Out>
    : Kind extends 'server_streaming'
      ? ServerStreamingMethod<In, Out>
      : Kind extends 'client_streaming'
        ? ClientStreamingMethod<In, Out>
        : BidiStreamingMethod<In, Out>
  : never;

/** A typed client: one method per RPC, named by the method's local name (`getCitizen`). */
export type GrpcClient<S extends DescService> = {
  readonly [K in keyof S['method']]: ClientMethod<S['method'][K]>;
} & Disposable;

export interface ClientOptions {
  /** Defaults to insecure (plaintext) credentials. */
  readonly credentials?: grpc.ChannelCredentials;
  readonly channelOptions?: grpc.ChannelOptions;
  /** Deadline of calls that set none. Unset: no deadline. */
  readonly defaultTimeoutMs?: number;
  /** Headers for every call (e.g. a service token), resolved per call. */
  readonly metadata?: () => MaybePromise<grpc.Metadata | Readonly<Record<string, string>>>;
}

const channels = new WeakMap<object, grpc.Client>();

/**
 * A typed client for a generated service. `target` is an address (`host:port`, a new channel) or an
 * existing grpc-js `Client` to share its channel between several services' clients. Errors are the
 * grpc-js `ServiceError`s; decode their details with `readErrorDetails`.
 */
export function createClient<S extends DescService>(
  service: S,
  target: string | grpc.Client,
  options: ClientOptions = {},
): GrpcClient<S> {
  const channel =
    typeof target === 'string'
      ? new grpc.Client(
          target,
          options.credentials ?? grpc.credentials.createInsecure(),
          options.channelOptions,
        )
      : target;
  const client: Record<string | symbol, unknown> = {};
  for (const method of service.methods) {
    client[method.localName] = clientMethod(channel, method, options);
  }
  client[Symbol.dispose] = () => channel.close();
  channels.set(client, channel);
  return client as GrpcClient<S>;
}

/** Closes the channel of a client made by {@link createClient}. */
export function closeClient(client: object): void {
  channels.get(client)?.close();
}

/** The grpc-js channel under a client made by {@link createClient}. */
export function clientChannel(client: object): grpc.Client {
  const channel = channels.get(client);
  if (!channel) throw new TypeError('not a client made by createClient');
  return channel;
}

function toMetadata(into: grpc.Metadata, headers: grpc.Metadata | Readonly<Record<string, string>>): void {
  if (headers instanceof grpc.Metadata) into.merge(headers);
  else for (const [key, value] of Object.entries(headers)) into.set(key, value);
}

/** The request headers: the client's, the call's, the idempotency key and the trace context. */
async function requestMetadata(
  options: ClientOptions,
  call: CallOptions,
  telemetry: ClientCallTelemetry,
): Promise<grpc.Metadata> {
  const metadata = new grpc.Metadata();
  try {
    if (options.metadata) toMetadata(metadata, await options.metadata());
  } catch (error) {
    telemetry.end(grpc.status.UNKNOWN);
    throw error;
  }
  if (call.metadata) toMetadata(metadata, call.metadata);
  if (call.idempotencyKey !== undefined) metadata.set(IDEMPOTENCY_KEY_HEADER, call.idempotencyKey);
  telemetry.inject(metadata);
  return metadata;
}

function grpcCallOptions(options: ClientOptions, call: CallOptions): grpc.CallOptions {
  const timeout = call.timeoutMs ?? options.defaultTimeoutMs;
  const deadline = call.deadline ?? (timeout === undefined ? undefined : new Date(Date.now() + timeout));
  return deadline ? { deadline } : {};
}

function cancelOnAbort(signal: AbortSignal | undefined, call: grpc.Call): () => void {
  if (!signal) return () => undefined;
  const cancel = () => call.cancel();
  if (signal.aborted) cancel();
  signal.addEventListener('abort', cancel, { once: true });
  return () => signal.removeEventListener('abort', cancel);
}

/** Writes the request stream into the call, then half-closes it; cancels the call if the source throws. */
async function pump(
  call: grpc.ClientWritableStream<Message> | grpc.ClientDuplexStream<Message, Message>,
  method: DescMethod,
  requests: AsyncIterable<unknown> | Iterable<unknown>,
  finished: AbortSignal,
): Promise<void> {
  try {
    for await (const request of requests) {
      if (finished.aborted) return;
      if (!call.write(create(method.input, request as MessageInitShape<DescMessage>))) {
        await once(call, 'drain', { signal: finished });
      }
    }
    call.end();
  } catch (error) {
    if (finished.aborted) return;
    call.cancel();
    throw error;
  }
}

async function* readResponses(
  call: grpc.ClientReadableStream<Message> | grpc.ClientDuplexStream<Message, Message>,
  telemetry: ClientCallTelemetry,
): AsyncGenerator<Message, void, undefined> {
  // The iteration below surfaces errors; this keeps a late CANCELLED (after an early break) harmless.
  call.on('error', () => undefined);
  // Breaking out of the loop early cancels the call; that is how the span ends unless told otherwise.
  let code = grpc.status.CANCELLED;
  try {
    for await (const message of call) yield message as Message;
    code = grpc.status.OK;
  } catch (error) {
    code = codeOfFailure(error);
    throw error;
  } finally {
    call.cancel();
    telemetry.end(code);
  }
}

function clientMethod(channel: grpc.Client, method: DescMethod, options: ClientOptions): unknown {
  const definition = grpcMethodDefinition(method);
  const { path, requestSerialize, responseDeserialize } = definition;
  const target = channel.getChannel().getTarget();
  switch (method.methodKind) {
    case 'unary':
      return async (request: MessageInitShape<DescMessage>, call: CallOptions = {}) => {
        const telemetry = startClientCall(method, target);
        const metadata = await requestMetadata(options, call, telemetry);
        return new Promise<Message>((resolve, reject) => {
          let release = () => undefined as void;
          const grpcCall = channel.makeUnaryRequest(
            path,
            requestSerialize,
            responseDeserialize,
            create(method.input, request),
            metadata,
            grpcCallOptions(options, call),
            (error, response) => {
              release();
              telemetry.end(error ? codeOfFailure(error) : grpc.status.OK);
              if (error) reject(error);
              else resolve(response!);
            },
          );
          release = cancelOnAbort(call.signal, grpcCall);
        });
      };
    case 'server_streaming':
      return async function* (request: MessageInitShape<DescMessage>, call: CallOptions = {}) {
        const telemetry = startClientCall(method, target);
        const metadata = await requestMetadata(options, call, telemetry);
        const grpcCall = channel.makeServerStreamRequest(
          path,
          requestSerialize,
          responseDeserialize,
          create(method.input, request),
          metadata,
          grpcCallOptions(options, call),
        );
        const release = cancelOnAbort(call.signal, grpcCall);
        try {
          yield* readResponses(grpcCall, telemetry);
        } finally {
          release();
        }
      };
    case 'client_streaming':
      return async (requests: AsyncIterable<unknown> | Iterable<unknown>, call: CallOptions = {}) => {
        const telemetry = startClientCall(method, target);
        const metadata = await requestMetadata(options, call, telemetry);
        const finished = new AbortController();
        return new Promise<Message>((resolve, reject) => {
          const grpcCall = channel.makeClientStreamRequest(
            path,
            requestSerialize,
            responseDeserialize,
            metadata,
            grpcCallOptions(options, call),
            (error, response) => {
              finished.abort();
              release();
              telemetry.end(error ? codeOfFailure(error) : grpc.status.OK);
              if (error) reject(error);
              else resolve(response!);
            },
          );
          const release = cancelOnAbort(call.signal, grpcCall);
          pump(grpcCall, method, requests, finished.signal).catch((error: unknown) => {
            finished.abort();
            release();
            telemetry.end(grpc.status.CANCELLED);
            reject(error as Error);
          });
        });
      };
    case 'bidi_streaming':
      return async function* (requests: AsyncIterable<unknown> | Iterable<unknown>, call: CallOptions = {}) {
        const telemetry = startClientCall(method, target);
        const metadata = await requestMetadata(options, call, telemetry);
        const grpcCall = channel.makeBidiStreamRequest(
          path,
          requestSerialize,
          responseDeserialize,
          metadata,
          grpcCallOptions(options, call),
        );
        const release = cancelOnAbort(call.signal, grpcCall);
        const finished = new AbortController();
        let sourceError: unknown;
        const pumping = pump(grpcCall, method, requests, finished.signal).catch((error: unknown) => {
          sourceError = error;
        });
        try {
          yield* readResponses(grpcCall, telemetry);
        } catch (error) {
          await pumping;
          throw sourceError ?? error;
        } finally {
          finished.abort();
          release();
        }
        await pumping;
        if (sourceError !== undefined) throw sourceError;
      };
  }
}
