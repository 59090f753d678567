import type { AuditLog } from '@cancuoc/audit';
import type { Authorized } from '@cancuoc/auth';
import { defineService, invalidArgument, type Authenticator, type ServiceRegistration } from '@cancuoc/grpc';
import { datasharing } from '@cancuoc/proto';
import type { DisclosureChannel, DisclosureReports } from '../../application/disclosures.js';
import { FIELD_TO_PROTO } from '../partner/fields.js';
import { administrator } from './callers.js';
import { guarded } from './errors.js';

const CHANNEL: Record<DisclosureChannel, datasharing.DisclosureChannel> = {
  kafka: datasharing.DisclosureChannel.KAFKA,
  query: datasharing.DisclosureChannel.QUERY,
  verification: datasharing.DisclosureChannel.VERIFICATION,
};

/**
 * `cancuoc.datasharing.v1.DataProtectionService`: the right to know and the audit log's integrity,
 * for administrators (the platform policy).
 */
export function dataProtectionService(
  reports: DisclosureReports,
  audit: AuditLog,
  authenticate: Authenticator<Authorized>,
): ServiceRegistration {
  return defineService(
    datasharing.DataProtectionService,
    { authenticate },
    {
      getDisclosures: async (request, call) =>
        guarded(async () => {
          const actor = administrator(call);
          const k = request.citizen?.key;
          if (!k || k.case === undefined)
            throw invalidArgument([
              { field: 'citizen', reason: 'REQUIRED', description: 'name the citizen' },
            ]);
          const key = k.case === 'citizenId' ? { citizenId: k.value } : { personalId: k.value };
          const entries = await reports.report(key, actor);
          return {
            disclosures: entries.map((e) => ({
              agency: e.agency,
              purpose: e.purpose,
              fields: e.fields.map((f) => FIELD_TO_PROTO[f]),
              channel: CHANNEL[e.channel],
              at: e.at,
            })),
          };
        }),
      verifyAuditLog: async () =>
        guarded(async () => {
          await audit.seal();
          const result = await audit.verify();
          return result.ok
            ? { intact: true, entriesChecked: result.sealed }
            : {
                intact: false,
                entriesChecked: result.sealed,
                firstBrokenEntry: result.brokenAt,
                problem: result.reason,
              };
        }),
    },
  );
}
