import type { DescMethod } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import {
  ROOT_CONTEXT,
  SpanKind,
  context,
  propagation,
  trace,
  type Context,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import {
  CatalogueMeter,
  failSpan,
  secondsSince,
  tracerFor,
  type MetricAttributes,
} from '@cancuoc/observability';
import {
  ATTR_ERROR_TYPE,
  ATTR_RPC_METHOD,
  ATTR_RPC_STATUS_CODE,
  ATTR_RPC_SYSTEM_NAME,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from '@opentelemetry/semantic-conventions';
import {
  ATTR_RPC_GRPC_STATUS_CODE,
  ATTR_RPC_SERVICE,
  ATTR_RPC_SYSTEM,
} from '@opentelemetry/semantic-conventions/incubating';

const tracer = tracerFor('@cancuoc/grpc');
const meter = new CatalogueMeter('@cancuoc/grpc');

/** Health probes come every few seconds from kubelet: measured, but not traced. */
const UNTRACED_SERVICES = new Set(['grpc.health.v1.Health']);

/** Codes that mean the server failed, as the gRPC semantic conventions count them; the rest are the caller's. */
const SERVER_ERRORS = new Set([
  grpc.status.UNKNOWN,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.UNIMPLEMENTED,
  grpc.status.INTERNAL,
  grpc.status.UNAVAILABLE,
  grpc.status.DATA_LOSS,
]);

type StatusName = NonNullable<MetricAttributes<'rpcServerDuration'>['rpc.status_code']>;

function statusName(code: grpc.status): StatusName {
  return (grpc.status[code] as StatusName | undefined) ?? 'UNKNOWN';
}

const metadataGetter: TextMapGetter<grpc.Metadata> = {
  keys: (metadata) => Object.keys(metadata.getMap()),
  get: (metadata, key) => {
    const values = metadata.get(key).filter((v): v is string => typeof v === 'string');
    return values.length === 0 ? undefined : values.length === 1 ? values[0] : values;
  },
};

const metadataSetter: TextMapSetter<grpc.Metadata> = {
  set: (metadata, key, value) => metadata.set(key, value),
};

/** The fully qualified method, `cancuoc.registry.v1.RegistryService/GetCitizen`: the span name. */
function qualifiedName(method: DescMethod): string {
  return `${method.parent.typeName}/${method.name}`;
}

/**
 * Attributes of an RPC span: the stable gRPC conventions (`rpc.system.name`, fully qualified
 * `rpc.method`, `rpc.status_code` by name) plus the older `rpc.system`, `rpc.service` and numeric
 * `rpc.grpc.status_code` that trace backends still key on. Nothing from the request.
 */
function rpcAttributes(method: DescMethod) {
  return {
    [ATTR_RPC_SYSTEM_NAME]: 'grpc',
    [ATTR_RPC_METHOD]: qualifiedName(method),
    [ATTR_RPC_SYSTEM]: 'grpc',
    [ATTR_RPC_SERVICE]: method.parent.typeName,
  };
}

function setStatus(span: Span, code: grpc.status): void {
  span.setAttribute(ATTR_RPC_STATUS_CODE, statusName(code));
  span.setAttribute(ATTR_RPC_GRPC_STATUS_CODE, code);
}

/** The telemetry of one served call: the context to run the handler in, and its end. */
export interface ServerCallTelemetry {
  readonly context: Context;
  end(code: grpc.status): void;
}

/**
 * Starts the SERVER span of a call, continuing the caller's trace from the `traceparent` in its
 * metadata, and on `end` records `rpc.server.call.duration` by method and status code.
 */
export function startServerCall(method: DescMethod, metadata: grpc.Metadata): ServerCallTelemetry {
  const started = performance.now();
  const traced = !UNTRACED_SERVICES.has(method.parent.typeName);
  const parent = traced ? propagation.extract(ROOT_CONTEXT, metadata, metadataGetter) : ROOT_CONTEXT;
  const span = traced
    ? tracer.startSpan(
        qualifiedName(method),
        { kind: SpanKind.SERVER, attributes: rpcAttributes(method) },
        parent,
      )
    : undefined;
  let ended = false;
  return {
    context: span ? trace.setSpan(parent, span) : parent,
    end(code) {
      if (ended) return;
      ended = true;
      const failed = SERVER_ERRORS.has(code);
      if (span) {
        setStatus(span, code);
        if (failed) failSpan(span, statusName(code));
        span.end();
      }
      meter.record('rpcServerDuration', secondsSince(started), {
        [ATTR_RPC_SYSTEM_NAME]: 'grpc',
        [ATTR_RPC_METHOD]: qualifiedName(method),
        [ATTR_RPC_STATUS_CODE]: statusName(code),
        ...(failed ? { [ATTR_ERROR_TYPE]: statusName(code) } : {}),
      });
    },
  };
}

/** `host` and `port` of a client's target (`registry:50051`, `dns:///registry:50051`). */
function serverOf(target: string): { address?: string; port?: number } {
  const match = /^(?:[a-z]+:(?:\/\/\/?)?)?\[?([^\]/]+?)\]?:(\d+)$/.exec(target);
  return match ? { address: match[1]!, port: Number(match[2]) } : {};
}

/** The telemetry of one outgoing call: its span, the headers that carry it, and its end. */
export interface ClientCallTelemetry {
  /** Writes the span's `traceparent` into the request headers, so the server continues the trace. */
  inject(metadata: grpc.Metadata): void;
  end(code: grpc.status): void;
}

/** Starts the CLIENT span of a call to `target`, as a child of the active span. */
export function startClientCall(method: DescMethod, target: string): ClientCallTelemetry {
  const server = serverOf(target);
  const parent = context.active();
  const span = tracer.startSpan(
    qualifiedName(method),
    {
      kind: SpanKind.CLIENT,
      attributes: {
        ...rpcAttributes(method),
        ...(server.address !== undefined && { [ATTR_SERVER_ADDRESS]: server.address }),
        ...(server.port !== undefined && { [ATTR_SERVER_PORT]: server.port }),
      },
    },
    parent,
  );
  let ended = false;
  return {
    inject(metadata) {
      propagation.inject(trace.setSpan(parent, span), metadata, metadataSetter);
    },
    end(code) {
      if (ended) return;
      ended = true;
      setStatus(span, code);
      if (code !== grpc.status.OK) failSpan(span, statusName(code));
      span.end();
    },
  };
}

/** The status code of what a client call failed with. */
export function codeOfFailure(error: unknown): grpc.status {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' && grpc.status[code] !== undefined ? code : grpc.status.UNKNOWN;
}
