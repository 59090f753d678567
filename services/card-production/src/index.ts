export * from './app.js';
export * from './config.js';
export type { DocumentSigners, DocumentSignerInfo, PortraitSource, Portrait } from './application/ports.js';
export {
  PortraitRefusedError,
  PortraitUnavailableError,
  SignerUnavailableError,
} from './application/ports.js';
export { chipImageSha256, CHIP_FILE_ORDER, type ChipFiles } from './domain/personalisation/chip-image.js';
export { REVOCATION_LIST_CONTEXT, revocationListSignedBytes } from './infrastructure/revocation-list.js';
export { StationSimulator, type StationSimulatorOptions } from './station/simulator.js';
export { givenToken, StationCredentialsError, stationTokens } from './station/credentials.js';
