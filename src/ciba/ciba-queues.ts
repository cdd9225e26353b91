import { v5 as uuidv5 } from 'uuid';

export const DELIVER_CHALLENGE_QUEUE = 'ciba-deliver-challenge';
export const EXPIRE_REQUEST_QUEUE = 'ciba-expire-request';

/** Fixed namespace of the flow's expiry job ids (uuid v5 of the auth_req_id). */
const EXPIRY_JOB_NAMESPACE = '6f1c1f4e-3b8e-4d52-9a57-2f0d8c9e7b31';

/**
 * The id of a flow's expiry job, derived from its auth_req_id: the job's envelope holds the
 * bcauthorize call's context, which later work for the flow continues from.
 */
export function expiryJobId(authReqId: string): string {
  return uuidv5(authReqId, EXPIRY_JOB_NAMESPACE);
}

/** Fixed namespace of the flow's delivery retry job ids (uuid v5 of the auth_req_id). */
const DELIVERY_JOB_NAMESPACE = 'c2b7e0f4-58a1-4f3e-8d6b-0a9e4c1d2f73';

/**
 * The id of a flow's delivery retry job: a successful delivery drops the job while it still
 * waits, in the same transaction, so a delivered challenge costs no later job run.
 */
export function deliveryJobId(authReqId: string): string {
  return uuidv5(authReqId, DELIVERY_JOB_NAMESPACE);
}
