import { operatorCommands } from '@cancuoc/operations';
import type { CliCommand } from '../command.js';
import { agencyCommand } from './agency.js';
import { demoCommand } from './demo.js';
import { seedCommand } from './seed.js';
import { startCommand } from './start.js';
import { stationCommand } from './station.js';

/** What this package provides: running the platform and exercising it. */
export const PLATFORM_COMMANDS: readonly CliCommand[] = [
  startCommand,
  seedCommand,
  stationCommand,
  agencyCommand,
  demoCommand,
];

/** The operators' commands from libs/operations: `rebuild`, `redrive`, `audit`, `stuck`. */
export const OPERATOR_COMMANDS: readonly CliCommand[] = operatorCommands;

export const COMMANDS: readonly CliCommand[] = [...PLATFORM_COMMANDS, ...OPERATOR_COMMANDS];
