import {
  ROOT_CONTEXT,
  SpanStatusCode,
  TraceFlags,
  context,
  isSpanContextValid,
  trace,
  type Context,
  type Link,
  type Span,
  type SpanContext,
  type Tracer,
} from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';

/** Version 00 of W3C trace context: `00-<trace id>-<parent id>-<flags>`. */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The tracer of one Cancuoc library; a no-op until the process starts the SDK. It looks the global
 * tracer up at each span rather than holding one: a tracer from `trace.getTracer` stays bound to
 * the provider of its time, so a library's tracer made at import would outlive a restarted SDK.
 */
export function tracerFor(scope: string): Pick<Tracer, 'startSpan'> {
  return { startSpan: (name, options, parent) => trace.getTracer(scope).startSpan(name, options, parent) };
}

/** The W3C `traceparent` of a span context, or undefined when it is not a valid one. */
export function traceparentOf(spanContext: SpanContext | undefined): string | undefined {
  if (!spanContext || !isSpanContextValid(spanContext)) return undefined;
  const flags = (spanContext.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, '0');
  return `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
}

/** The `traceparent` of the span active in the current context, if there is one. */
export function activeTraceparent(): string | undefined {
  return traceparentOf(trace.getActiveSpan()?.spanContext());
}

/** The remote span context a `traceparent` names, or undefined for anything else. */
export function spanContextOf(traceparent: string | null | undefined): SpanContext | undefined {
  const match = traceparent ? TRACEPARENT.exec(traceparent) : null;
  if (!match) return undefined;
  const spanContext: SpanContext = {
    traceId: match[1]!,
    spanId: match[2]!,
    traceFlags: parseInt(match[3]!, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
  return isSpanContextValid(spanContext) ? spanContext : undefined;
}

/**
 * A context whose parent is the span a `traceparent` names (a record's, an event's), on top of
 * `base`; `base` itself when the traceparent is missing or malformed, so work starts a new trace.
 */
export function contextOfTraceparent(
  traceparent: string | null | undefined,
  base: Context = ROOT_CONTEXT,
): Context {
  const spanContext = spanContextOf(traceparent);
  return spanContext ? trace.setSpanContext(base, spanContext) : base;
}

/** Most links one span carries: the SDK's default limit, which also bounds the work per batch. */
export const MAX_LINKS = 128;

/** Links to the distinct spans named by `traceparents` (a batch's parents), at most {@link MAX_LINKS}. */
export function linksTo(traceparents: Iterable<string | null | undefined>): Link[] {
  const links: Link[] = [];
  const seen = new Set<string>();
  for (const traceparent of traceparents) {
    if (!traceparent || seen.has(traceparent)) continue;
    seen.add(traceparent);
    const spanContext = spanContextOf(traceparent);
    if (spanContext) links.push({ context: spanContext });
    if (links.length >= MAX_LINKS) break;
  }
  return links;
}

const CLASS_NAME = /^[A-Za-z_$][A-Za-z0-9_$.]{0,99}$/;

/**
 * What kind of failure `error` is, safe for telemetry: an exception's class name (`WrongExpected
 * VersionError`), never its message, which may quote request data.
 */
export function errorTypeOf(error: unknown): string {
  if (error instanceof Error && CLASS_NAME.test(error.name)) return error.name;
  return '_OTHER';
}

/**
 * Marks `span` failed with `errorType` (a class name or a status code name) as its status and
 * `error.type`. Deliberately no `recordException`: an exception event carries the message and the
 * stack, and a message may hold personal data.
 */
export function failSpan(span: Span, errorType: string): void {
  span.setAttribute(ATTR_ERROR_TYPE, errorType);
  span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
}

/** Runs `work` with `span` active and ends it, failed if `work` throws. */
export async function inSpan<T>(
  span: Span,
  work: () => Promise<T>,
  parent: Context = context.active(),
): Promise<T> {
  try {
    return await context.with(trace.setSpan(parent, span), work);
  } catch (error) {
    failSpan(span, errorTypeOf(error));
    throw error;
  } finally {
    span.end();
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CATEGORY = /^[a-z][a-z_]{0,39}$/;

/**
 * The aggregate type of a stream, `citizen` for `citizen-<uuid>`: the part before the first `-`
 * when it is a lower-case word, else `other`. Never any part of an id, which would single out a
 * person and make every stream its own metric series.
 */
export function streamCategory(streamId: string): string {
  const dash = streamId.indexOf('-');
  const prefix = dash > 0 ? streamId.slice(0, dash) : '';
  return CATEGORY.test(prefix) && !UUID.test(streamId) ? prefix : 'other';
}
