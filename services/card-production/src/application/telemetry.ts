import { type SpanKind, context, trace, type Context, type Span } from '@opentelemetry/api';
import { contextOfTraceparent, tracerFor } from '@cancuoc/observability';
import type { Database, Tx } from '@cancuoc/eventstore';
import { cardStream } from './card-jobs.js';

/** Card production's own spans (personalisation, dispatch); a no-op until the process starts the SDK. */
export const tracer = tracerFor('@cancuoc/card-production');

/**
 * The trace each card belongs to: the `traceparent` its first event (`CardRequested`) recorded —
 * the append made while consuming the submitted application, so the card's later work (personal-
 * isation, dispatch, the station's settlement) continues the application's trace. Cards requested
 * without one (an operator's reprint has its own request's) are absent.
 */
export async function cardTraceparents(
  db: Database | Tx,
  cardIds: readonly string[],
): Promise<Map<string, string>> {
  if (cardIds.length === 0) return new Map();
  const rows = await db.query<{ stream_id: string; traceparent: string | null }>(
    `SELECT stream_id, traceparent FROM es_events WHERE stream_id = ANY ($1::text[]) AND stream_version = 1`,
    [cardIds.map(cardStream)],
  );
  const out = new Map<string, string>();
  for (const row of rows) if (row.traceparent) out.set(row.stream_id.slice('card-'.length), row.traceparent);
  return out;
}

/**
 * Starts a span of a card's work in the card's trace (`traceparent`, from {@link cardTraceparents}),
 * or in a trace of its own when it has none. Attributes are chosen here, never a card or a person's
 * id: the card is found from the trace, not the trace from the card.
 */
export function startCardSpan(
  name: string,
  kind: SpanKind,
  traceparent: string | undefined,
  attributes: Record<string, string | number> = {},
): { span: Span; context: Context } {
  const parent = contextOfTraceparent(traceparent);
  const span = tracer.startSpan(name, { kind, attributes }, parent);
  return { span, context: trace.setSpan(parent, span) };
}

/** Runs `work` in `ctx` (a card span's context). */
export function within<T>(ctx: Context, work: () => T): T {
  return context.with(ctx, work);
}
