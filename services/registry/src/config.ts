import {
  ConfigError,
  serviceConfig,
  variables,
  type ServiceBaseConfig,
  type StorageConfig,
} from '@cancuoc/runtime';
import { DEFAULT_FAMILY_RULES, type FamilyRules } from './domain/citizen/family-rules.js';

export { ConfigError, type StorageConfig };

/**
 * How the registry is configured: the chassis' base (database, Redis, Kafka, gRPC listener and
 * TLS as `REGISTRY_GRPC_*`, auth with audience `registry`) and the registry's own variables.
 */
export interface RegistryConfig extends ServiceBaseConfig {
  /** Days without verification after which a record is reported stale. */
  readonly staleAfterDays: number;
  /**
   * The ages the family rules turn on (`REGISTRY_MIN_PARENT_AGE_YEARS`,
   * `REGISTRY_MARRIAGE_AGE_MEN`, `REGISTRY_MARRIAGE_AGE_WOMEN`); the defaults (12; 20 and 18, the
   * Law on Marriage and Family's) without them.
   */
  readonly familyRules?: FamilyRules;
}

/** The family rules' ages from the environment; each variable unset keeps its default. */
export function familyRulesFromEnv(env: NodeJS.ProcessEnv = process.env): FamilyRules {
  const vars = variables(env);
  const age = (name: string, fallback: number) => vars.integer(name, fallback, { min: 1, max: 100 });
  return {
    minParentAgeYears: age('REGISTRY_MIN_PARENT_AGE_YEARS', DEFAULT_FAMILY_RULES.minParentAgeYears),
    marriageAge: {
      male: age('REGISTRY_MARRIAGE_AGE_MEN', DEFAULT_FAMILY_RULES.marriageAge.male),
      female: age('REGISTRY_MARRIAGE_AGE_WOMEN', DEFAULT_FAMILY_RULES.marriageAge.female),
    },
  };
}

const readers = serviceConfig(
  { name: 'registry', variablePrefix: 'REGISTRY', defaultPort: 50051 },
  (vars, env) => ({
    staleAfterDays: vars.integer('REGISTRY_STALE_AFTER_DAYS', 5 * 365),
    familyRules: familyRulesFromEnv(env),
  }),
);

/** The storage part of the configuration, without the credentials the migration job has no use for. */
export const storageConfigFromEnv: (env?: NodeJS.ProcessEnv) => StorageConfig = readers.storageConfigFromEnv;
export const configFromEnv: (env?: NodeJS.ProcessEnv) => RegistryConfig = readers.configFromEnv;
