import type { DescMethod } from '@bufbuild/protobuf';
import { methodPath, readErrorDetails, status } from '@cancuoc/grpc';
import type { Client, Metadata, ServiceError } from '@grpc/grpc-js';

const EMPTY = Buffer.alloc(0);
const same = (bytes: Buffer) => bytes;

export interface RawCallOptions {
  /**
   * The request messages, already encoded: the first one for unary and server-streaming calls,
   * all of them for client and bidi streams. Default: one empty message (an empty stream for
   * client and bidi streams).
   */
  readonly requests?: readonly Buffer[];
  /** Deadline of the call, in milliseconds from now. Default 3 s. */
  readonly deadlineMs?: number;
}

export interface RawCallResult {
  readonly code: number;
  readonly reason?: string;
  readonly details?: string;
}

/**
 * One call with raw bytes, whatever the RPC's kind: its status and reason. A server or bidi stream
 * is cancelled after its first message, which counts as OK: an allowed job stream stays open, so its
 * first message, or the deadline, is an answer.
 */
export function call(
  client: Client,
  method: DescMethod,
  metadata: Metadata,
  options: RawCallOptions = {},
): Promise<RawCallResult> {
  const path = methodPath(method);
  const deadline = Date.now() + (options.deadlineMs ?? 3_000);
  const requests = options.requests;
  const first = requests?.[0] ?? EMPTY;
  return new Promise((resolve) => {
    const settle = (error: ServiceError | null) =>
      resolve(
        error
          ? {
              code: error.code,
              reason: readErrorDetails(error)?.errorInfo?.reason,
              details: error.details,
            }
          : { code: status.OK },
      );
    switch (method.methodKind) {
      case 'unary':
        client.makeUnaryRequest(path, same, same, first, metadata, { deadline }, settle);
        break;
      case 'client_streaming': {
        const stream = client.makeClientStreamRequest(path, same, same, metadata, { deadline }, settle);
        for (const request of requests ?? []) stream.write(request);
        stream.end();
        break;
      }
      default: {
        const stream =
          method.methodKind === 'server_streaming'
            ? client.makeServerStreamRequest(path, same, same, first, metadata, { deadline })
            : client.makeBidiStreamRequest(path, same, same, metadata, { deadline });
        if (method.methodKind === 'bidi_streaming') {
          const bidi = stream as unknown as { write(chunk: Buffer): void; end(): void };
          for (const request of requests ?? []) bidi.write(request);
          bidi.end();
        }
        stream.on('data', () => {
          stream.cancel();
          resolve({ code: status.OK });
        });
        stream.on('error', (error: ServiceError) => settle(error));
        stream.on('status', ({ code }: { code: number }) => code === status.OK && resolve({ code }));
      }
    }
  });
}
