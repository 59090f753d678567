import type { FieldViolation } from '@cancuoc/identity';
import { InvalidApplicationCommandError } from './errors.js';

/** Collects every field violation of a command, so the operator sees them all at once. */
export class Violations {
  private readonly found: FieldViolation[] = [];

  add(field: string, reason: string, description: string): void {
    this.found.push({ field, reason, description });
  }

  catching<T>(work: () => T): T | undefined {
    try {
      return work();
    } catch (error) {
      const violations = (error as { violations?: readonly FieldViolation[] }).violations;
      if (!Array.isArray(violations)) throw error;
      this.found.push(...violations);
      return undefined;
    }
  }

  note(field: string, text: string, max = 500): void {
    if (text.length > max) this.add(field, 'TOO_LONG', `at most ${max} characters`);
  }

  throwIfAny(): void {
    if (this.found.length > 0) throw new InvalidApplicationCommandError(this.found);
  }
}
