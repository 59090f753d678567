import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { CliError, EXIT } from './command.js';

export interface Parsed<V> {
  readonly values: V;
  readonly positionals: readonly string[];
  readonly help: boolean;
}

/**
 * `node:util` parseArgs in strict mode, with `--help`/`-h` added; its refusals (an unknown flag, a
 * flag without its value) become a one-line usage error (exit 2).
 */
export function parse<O extends ParseArgsOptionsConfig>(
  argv: readonly string[],
  options: O,
): Parsed<Record<keyof O, string | boolean | undefined>> {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    });
    const { help, ...rest } = values as Record<string, string | boolean | undefined>;
    return {
      values: rest as Record<keyof O, string | boolean | undefined>,
      positionals,
      help: help === true,
    };
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    throw new CliError(message.replace(/\. To specify a positional argument.*$/, ''), EXIT.usage);
  }
}

/** A string flag's value (parseArgs types every flag as string | boolean). */
export const text = (value: string | boolean | undefined): string | undefined =>
  typeof value === 'string' ? value : undefined;
