import { auditCommand } from './audit.js';
import type { CliCommand } from './command.js';
import { rebuildCommand } from './rebuild.js';
import { redriveCommand } from './redrive.js';
import { stuckCommand } from './stuck.js';

export { CliError, EXIT, type CliCommand, type CliIO } from './command.js';
export { auditCommand, rebuildCommand, redriveCommand, stuckCommand };
export { captureRun, type CapturedRun } from './capture.js';
export { readTokenKey, SERVICES as SERVICE_PORTS } from './services.js';

/** The operator commands, for the platform CLI to register as they are. */
export const operatorCommands: readonly CliCommand[] = [
  rebuildCommand,
  redriveCommand,
  auditCommand,
  stuckCommand,
];
