import type { TermsInput } from './terms.js';

/** Who gives a command and when (RFC 3339); the application adds them. */
interface Acting {
  readonly by: string;
  readonly at: string;
}

export type SubscriptionCommand =
  | ({
      readonly type: 'RequestSubscription';
      readonly subscriptionId: string;
      readonly agency: string;
      readonly agencyName: string;
      readonly purpose: string;
      readonly purposeDescription: string;
      readonly legalBasis: string;
      readonly terms: TermsInput;
    } & Acting)
  | ({ readonly type: 'ApproveSubscription' } & Acting)
  | ({ readonly type: 'ChangeSubscription'; readonly terms: TermsInput; readonly reason: string } & Acting)
  | ({ readonly type: 'SuspendSubscription'; readonly reason: string } & Acting)
  | ({ readonly type: 'ResumeSubscription'; readonly reason: string } & Acting)
  | ({ readonly type: 'RevokeSubscription'; readonly reason: string } & Acting);
