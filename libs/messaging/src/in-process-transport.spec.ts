import { inProcessEnvironment } from './test-support/environments.js';
import { transportContract } from './test-support/transport-contract.js';

transportContract('in-process (PGlite)', inProcessEnvironment);
