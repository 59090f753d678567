/** Turns a payload of schema version `n` into version `n + 1`. */
export type Upcaster = (data: unknown) => unknown;

/**
 * Old events are never rewritten; readers see them at the current schema version instead. Each
 * registered step lifts one event type by one version, and steps chain.
 */
export class Upcasters {
  private readonly steps = new Map<string, Upcaster>();

  register(eventType: string, fromVersion: number, upcast: Upcaster): this {
    const key = `${eventType}@${fromVersion}`;
    if (this.steps.has(key)) throw new Error(`an upcaster for ${key} is already registered`);
    this.steps.set(key, upcast);
    return this;
  }

  upcast(eventType: string, schemaVersion: number, data: unknown): { data: unknown; schemaVersion: number } {
    let version = schemaVersion;
    let current = data;
    for (
      let step = this.steps.get(`${eventType}@${version}`);
      step;
      step = this.steps.get(`${eventType}@${version}`)
    ) {
      current = step(current);
      version += 1;
    }
    return { data: current, schemaVersion: version };
  }
}
