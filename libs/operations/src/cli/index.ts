import { auditCommand } from './audit.js';
import type { CliCommand } from './command.js';
import { loginCommand } from './login.js';
import { rebuildCommand } from './rebuild.js';
import { recodingCommand } from './recoding.js';
import { redriveCommand } from './redrive.js';
import { stuckCommand } from './stuck.js';
import { tokenCommand } from './token.js';
import { unitsCommand } from './units.js';

export { CliError, EXIT, type CliCommand, type CliIO } from './command.js';
export { auditCommand, loginCommand, rebuildCommand, redriveCommand, stuckCommand, tokenCommand };
export { recodingCommand, unitsCommand };
export { captureRun, type CapturedRun } from './capture.js';
export { SERVICES as SERVICE_PORTS } from './services.js';
export {
  cliCredentials,
  developmentCaDir,
  developmentCredentials,
  developmentTlsDir,
  existingIssuerFile,
  hasDevelopmentCa,
  isServerMode,
  workstationSubject,
  type Caller,
  type CredentialOptions,
  type Credentials,
  type DevelopmentTls,
} from './credentials.js';
export { CLI_CLIENT_ID, sessionFile, sessionTokens, type StoredSession } from './session.js';

/**
 * The operator commands, for the platform CLI to register as they are: the operations, and the
 * credentials every command uses (`login` in server mode, `token` from the development issuer).
 */
export const operatorCommands: readonly CliCommand[] = [
  rebuildCommand,
  redriveCommand,
  auditCommand,
  stuckCommand,
  recodingCommand,
  unitsCommand,
  loginCommand,
  tokenCommand,
];
