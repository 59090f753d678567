import {
  CardProductionService,
  datasharing,
  EncodingStationService,
  EnrollmentService,
  operations,
  PersonalisationDataService,
  RegistryService,
} from '@cancuoc/proto';
import {
  administrator,
  agency,
  clerk,
  encodingStation,
  operatorAtStation,
  relyingParties,
  service,
  supervisor,
} from './grants.js';
import { Policy } from './policy.js';

/**
 * The platform's one authorization policy (architecture decision 9): for every RPC of every
 * service, who may call it and within which limit. Deny by default — an RPC missing here fails
 * to compile, fails `Policy.add` at start-up and fails the enumeration test.
 */
export const platformPolicy = new Policy()
  .add(RegistryService, {
    registerBirth: [clerk],
    registerExistingCitizen: [clerk],
    changeName: [clerk],
    registerPermanentResidence: [clerk],
    registerTemporaryResidence: [clerk],
    endTemporaryResidence: [clerk],
    recordParents: [clerk],
    changeMaritalStatus: [clerk],
    recordDeath: [clerk],
    correctField: [clerk],
    recordVerification: [clerk],
    // Enrollment pins the register's data at the station (no forms).
    getCitizen: [clerk, service('enrollment')],
    getCitizenHistory: [clerk],
    searchCitizens: [clerk],
    getQualityReport: [clerk, administrator],
    getAccessLog: [clerk],
    // The recoding queue of the 2025 reorganisation (issue 21): clerks, within their jurisdiction.
    listRecodingQueue: [clerk],
    recodeResidence: [clerk],
  })
  .add(EnrollmentService, {
    startApplication: [operatorAtStation],
    captureFace: [operatorAtStation],
    captureFingerprints: [operatorAtStation],
    submitForReview: [operatorAtStation],
    approveApplication: [supervisor],
    rejectApplication: [supervisor],
    adjudicateApplication: [supervisor],
    cancelApplication: [operatorAtStation, supervisor],
    getApplication: [operatorAtStation, supervisor],
    listApplications: [operatorAtStation, supervisor],
    listStuckApplications: [supervisor, administrator],
    eraseCitizenBiometrics: [administrator],
  })
  .add(PersonalisationDataService, {
    getPortrait: [service('card-production')],
  })
  .add(CardProductionService, {
    getCard: [administrator],
    listCards: [administrator],
    getQueueDepth: [administrator],
    recordQualityCheck: [administrator],
    shipCard: [administrator],
    deliverCard: [administrator],
    activateCard: [administrator],
    revokeCard: [administrator],
    cancelCard: [administrator],
    retryCard: [administrator],
    reprintCard: [administrator],
    getRevocationList: relyingParties,
    getTrustAnchors: relyingParties,
    rotateDocumentSigner: [administrator],
  })
  .add(EncodingStationService, {
    streamJobs: [encodingStation],
    completeJob: [encodingStation],
    failJob: [encodingStation],
    heartbeat: [encodingStation],
  })
  .add(datasharing.AgencyQueryService, {
    getCitizen: [agency],
    batchGetCitizens: [agency],
    verifyIdentity: [agency],
  })
  .add(datasharing.SubscriptionService, {
    listCitizenFields: [administrator],
    requestSubscription: [administrator],
    approveSubscription: [administrator],
    changeSubscription: [administrator],
    suspendSubscription: [administrator],
    resumeSubscription: [administrator],
    revokeSubscription: [administrator],
    getSubscription: [administrator],
    listSubscriptions: [administrator],
  })
  .add(datasharing.DataProtectionService, {
    getDisclosures: [administrator],
    verifyAuditLog: [administrator],
  })
  .add(datasharing.OperationsService, {
    getProjectionStatus: [administrator],
    rebuildProjections: [administrator],
  })
  .add(operations.OperationsService, {
    verifyAuditLog: [administrator],
    listProjections: [administrator],
    rebuildProjection: [administrator],
    listDeadLetters: [administrator],
    redriveDeadLetters: [administrator],
    // What is left part-way, across stations: the platform's administrators, as the other operations
    // RPCs (supervisors see their stations' stuck steps with listStuckApplications).
    listUnfinishedWork: [administrator],
  });
