import {
  create,
  createRegistry,
  fromBinary,
  toBinary,
  type DescMessage,
  type Message,
  type MessageInitShape,
} from '@bufbuild/protobuf';
import { anyPack, anyUnpack, type Any } from '@bufbuild/protobuf/wkt';
import { Metadata, status } from '@grpc/grpc-js';
import {
  BadRequestSchema,
  DebugInfoSchema,
  ErrorInfoSchema,
  file_google_rpc_error_details,
  HelpSchema,
  LocalizedMessageSchema,
  PreconditionFailureSchema,
  QuotaFailureSchema,
  RequestInfoSchema,
  ResourceInfoSchema,
  RetryInfoSchema,
  type BadRequest,
  type DebugInfo,
  type ErrorInfo,
  type Help,
  type LocalizedMessage,
  type PreconditionFailure,
  type QuotaFailure,
  type RequestInfo,
  type ResourceInfo,
  type RetryInfo,
} from './gen/google/rpc/error_details_pb.js';
import { StatusSchema, type Status } from './gen/google/rpc/status_pb.js';

/** The trailer that carries the serialized `google.rpc.Status` of a failed call. */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';

/** The `ErrorInfo.domain` of errors raised by Cancuoc services unless a helper is told otherwise. */
export const CANCUOC_ERROR_DOMAIN = 'cancuoc.gov.vn';

/**
 * An error a handler throws to end a call with a chosen status code, a developer-facing message and
 * `google.rpc` detail messages (packed as `Any`). Everything in it goes to the client, so it must
 * carry no stack trace and no personal data. Any other exception a handler throws becomes INTERNAL.
 */
export class RpcError extends Error {
  override readonly name = 'RpcError';

  constructor(
    readonly code: status,
    message: string,
    readonly details: readonly Any[] = [],
    /** Extra trailers to send with the status (the details trailer is added to them). */
    readonly trailers?: Metadata,
  ) {
    super(message);
  }

  /** The `google.rpc.Status` this error travels as. */
  toStatus(): Status {
    return create(StatusSchema, { code: this.code, message: this.message, details: [...this.details] });
  }

  /** The status object grpc-js sends: code, message and trailers including `grpc-status-details-bin`. */
  toStatusObject(): { code: status; details: string; metadata: Metadata } {
    const metadata = this.trailers?.clone() ?? new Metadata();
    metadata.set(STATUS_DETAILS_KEY, Buffer.from(toBinary(StatusSchema, this.toStatus())));
    return { code: this.code, details: this.message, metadata };
  }
}

/** Packs one detail message (any generated schema) for an {@link RpcError}. */
export function errorDetail<Desc extends DescMessage>(schema: Desc, value: MessageInitShape<Desc>): Any {
  return anyPack(schema, create(schema, value));
}

/** An error with any status code and any detail messages. */
export function rpcError(code: status, message: string, ...details: Any[]): RpcError {
  return new RpcError(code, message, details);
}

/** What `ErrorInfo` carries: a machine-readable reason (UPPER_SNAKE_CASE), its domain and metadata. */
export interface ErrorInfoInit {
  readonly reason: string;
  /** Defaults to {@link CANCUOC_ERROR_DOMAIN}. */
  readonly domain?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

function errorInfo(info: ErrorInfoInit): Any {
  return errorDetail(ErrorInfoSchema, {
    reason: info.reason,
    domain: info.domain ?? CANCUOC_ERROR_DOMAIN,
    metadata: { ...info.metadata },
  });
}

/** One invalid field of a request: a dot-separated path such as `citizen.birth_date`. */
export interface FieldViolation {
  readonly field: string;
  readonly description: string;
  /** UPPER_SNAKE_CASE cause, e.g. `REQUIRED` or `INVALID_FORMAT`. */
  readonly reason?: string;
}

/** INVALID_ARGUMENT with a `BadRequest` listing every invalid field. */
export function invalidArgument(violations: readonly FieldViolation[], message?: string): RpcError {
  const fields = violations.map((v) => v.field).join(', ');
  return new RpcError(
    status.INVALID_ARGUMENT,
    message ?? (violations.length > 0 ? `invalid request: ${fields}` : 'invalid request'),
    [
      errorDetail(BadRequestSchema, {
        fieldViolations: violations.map((v) => ({
          field: v.field,
          description: v.description,
          reason: v.reason ?? '',
        })),
      }),
    ],
  );
}

/** One failed precondition: its type (e.g. `CITIZEN_STATE`), subject and a description. */
export interface PreconditionViolation {
  readonly type: string;
  readonly subject: string;
  readonly description: string;
}

/**
 * FAILED_PRECONDITION with a `PreconditionFailure` (the system is not in the state the call needs,
 * and retrying will not help until it is), plus an `ErrorInfo` when a reason is given.
 */
export function failedPrecondition(
  violations: readonly PreconditionViolation[],
  message?: string,
  info?: ErrorInfoInit,
): RpcError {
  const details = [errorDetail(PreconditionFailureSchema, { violations: violations.map((v) => ({ ...v })) })];
  if (info) details.push(errorInfo(info));
  return new RpcError(
    status.FAILED_PRECONDITION,
    message ?? violations[0]?.description ?? 'failed precondition',
    details,
  );
}

/** NOT_FOUND with a `ResourceInfo` naming what was looked for. */
export function notFound(resourceType: string, resourceName: string, message?: string): RpcError {
  return new RpcError(status.NOT_FOUND, message ?? `${resourceType} not found`, [
    errorDetail(ResourceInfoSchema, { resourceType, resourceName, description: 'not found' }),
  ]);
}

/** ALREADY_EXISTS with a `ResourceInfo` naming the resource that a create collided with. */
export function alreadyExists(resourceType: string, resourceName: string, message?: string): RpcError {
  return new RpcError(status.ALREADY_EXISTS, message ?? `${resourceType} already exists`, [
    errorDetail(ResourceInfoSchema, { resourceType, resourceName, description: 'already exists' }),
  ]);
}

/**
 * ABORTED with an `ErrorInfo`: a concurrency conflict the client may resolve by re-reading and
 * retrying the whole read-modify-write (see {@link concurrencyConflict}).
 */
export function aborted(info: ErrorInfoInit, message?: string): RpcError {
  return new RpcError(status.ABORTED, message ?? `aborted: ${info.reason}`, [errorInfo(info)]);
}

/** The `ErrorInfo.reason` of {@link concurrencyConflict}. */
export const CONCURRENCY_CONFLICT = 'CONCURRENCY_CONFLICT';

/**
 * ABORTED for an optimistic-concurrency conflict on an aggregate's stream (architecture decision 3):
 * `ErrorInfo{reason: CONCURRENCY_CONFLICT, metadata: {stream, expectedVersion, actualVersion}}`.
 */
export function concurrencyConflict(
  stream: string,
  expectedVersion: string | number | bigint,
  actualVersion: string | number | bigint,
): RpcError {
  return aborted(
    {
      reason: CONCURRENCY_CONFLICT,
      metadata: { stream, expectedVersion: String(expectedVersion), actualVersion: String(actualVersion) },
    },
    `concurrent modification of ${stream}`,
  );
}

/** UNAUTHENTICATED: what an authentication hook throws for missing or invalid credentials. */
export function unauthenticated(message = 'unauthenticated', info?: ErrorInfoInit): RpcError {
  return new RpcError(status.UNAUTHENTICATED, message, info ? [errorInfo(info)] : []);
}

/** PERMISSION_DENIED: the caller is known but may not do this. */
export function permissionDenied(message = 'permission denied', info?: ErrorInfoInit): RpcError {
  return new RpcError(status.PERMISSION_DENIED, message, info ? [errorInfo(info)] : []);
}

const detailRegistry = createRegistry(file_google_rpc_error_details);

/** A failed call as the client sees it, with the standard detail messages decoded. */
export interface ErrorDetails {
  readonly code: status;
  readonly message: string;
  readonly badRequest?: BadRequest;
  readonly preconditionFailure?: PreconditionFailure;
  readonly errorInfo?: ErrorInfo;
  readonly resourceInfo?: ResourceInfo;
  readonly retryInfo?: RetryInfo;
  readonly quotaFailure?: QuotaFailure;
  readonly requestInfo?: RequestInfo;
  readonly debugInfo?: DebugInfo;
  readonly help?: Help;
  readonly localizedMessage?: LocalizedMessage;
  /** Every detail, unpacked when it is a `google.rpc` type and left as `Any` otherwise. */
  readonly details: readonly Message[];
}

interface GrpcErrorLike {
  code: number;
  details?: unknown;
  message?: unknown;
  metadata?: unknown;
}

function isGrpcErrorLike(error: unknown): error is GrpcErrorLike {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof error.code === 'number' &&
    Number.isInteger(error.code)
  );
}

/** The status code of a gRPC error (client `ServiceError` or {@link RpcError}), else undefined. */
export function grpcCode(error: unknown): status | undefined {
  return error instanceof RpcError || isGrpcErrorLike(error) ? (error.code as status) : undefined;
}

/**
 * Decodes the `google.rpc.Status` of a failed call: from a grpc-js client error (its
 * `grpc-status-details-bin` trailer) or from an {@link RpcError}. Returns undefined when the value
 * is not a gRPC error at all; an error without the trailer gives its code, message and no details.
 */
export function readErrorDetails(error: unknown): ErrorDetails | undefined {
  let code: status;
  let message: string;
  let packed: readonly Any[] = [];
  if (error instanceof RpcError) {
    code = error.code;
    message = error.message;
    packed = error.details;
  } else if (isGrpcErrorLike(error)) {
    code = error.code as status;
    message = typeof error.details === 'string' ? error.details : String(error.message ?? '');
    const raw = error.metadata instanceof Metadata ? error.metadata.get(STATUS_DETAILS_KEY)[0] : undefined;
    if (raw instanceof Uint8Array) {
      const decoded = fromBinary(StatusSchema, raw);
      packed = decoded.details;
      if (decoded.message) message = decoded.message;
    }
  } else {
    return undefined;
  }
  const details = packed.map((any) => anyUnpack(any, detailRegistry) ?? any);
  const find = <T extends Message>(typeName: T['$typeName']) =>
    details.find((d): d is T => d.$typeName === typeName);
  return {
    code,
    message,
    badRequest: find<BadRequest>(BadRequestSchema.typeName),
    preconditionFailure: find<PreconditionFailure>(PreconditionFailureSchema.typeName),
    errorInfo: find<ErrorInfo>(ErrorInfoSchema.typeName),
    resourceInfo: find<ResourceInfo>(ResourceInfoSchema.typeName),
    retryInfo: find<RetryInfo>(RetryInfoSchema.typeName),
    quotaFailure: find<QuotaFailure>(QuotaFailureSchema.typeName),
    requestInfo: find<RequestInfo>(RequestInfoSchema.typeName),
    debugInfo: find<DebugInfo>(DebugInfoSchema.typeName),
    help: find<Help>(HelpSchema.typeName),
    localizedMessage: find<LocalizedMessage>(LocalizedMessageSchema.typeName),
    details,
  };
}
