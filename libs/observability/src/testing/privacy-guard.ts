import type { AttributeValue, Attributes } from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import { personalDataIn } from '../privacy.js';

/** One place in a span where something that looks like personal data was found. */
export interface PrivacyViolation {
  readonly span: string;
  /** `name`, `status`, `attribute <key>`, `event <name> <key>`, `link <key>`. */
  readonly where: string;
  readonly kind: string;
}

function strings(value: AttributeValue | undefined): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

function checkAttributes(
  attributes: Attributes,
  where: string,
  found: (where: string, text: string) => void,
) {
  for (const [key, value] of Object.entries(attributes)) {
    found(`${where}${key} (key)`, key);
    for (const text of strings(value)) found(`${where}${key}`, text);
  }
}

/** Everything in `span` that looks like personal data: its name, status, attributes, events, links. */
export function privacyViolations(span: ReadableSpan): PrivacyViolation[] {
  const violations: PrivacyViolation[] = [];
  const found = (where: string, text: string) => {
    const kind = personalDataIn(text);
    if (kind)
      violations.push({ span: personalDataIn(span.name) ? '(name withheld)' : span.name, where, kind });
  };
  found('name', span.name);
  if (span.status.message) found('status', span.status.message);
  checkAttributes(span.attributes, 'attribute ', found);
  for (const event of span.events) {
    found(`event ${event.name}`, event.name);
    checkAttributes(event.attributes ?? {}, `event ${event.name} `, found);
  }
  for (const link of span.links) checkAttributes(link.attributes ?? {}, 'link ', found);
  return violations;
}

/**
 * A span processor for tests that checks every ended span for personal data (see
 * `PERSONAL_DATA_PATTERNS`) and keeps what it found — without the offending values, so that a
 * failing test does not print them either. Assert `violations` is empty after a suite.
 */
export class PrivacyGuardSpanProcessor implements SpanProcessor {
  readonly violations: PrivacyViolation[] = [];
  checked = 0;

  onStart(): void {
    // Attributes are still being set at start; the span is checked once it ends.
  }

  onEnd(span: ReadableSpan): void {
    this.checked += 1;
    this.violations.push(...privacyViolations(span));
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
