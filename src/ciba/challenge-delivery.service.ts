import { Transactional } from '@nestjs-cls/transactional';
import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { auditTarget } from '../audit/audit-target';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { ChallengeGateway } from './challenge-gateway';
import { CibaRequestRow } from './ciba-request-row';
import { CibaRequestsRepository } from './ciba-requests.repository';
import { DELIVER_CHALLENGE_QUEUE, deliveryJobId } from './ciba-queues';

export interface CibaJob {
  tenant: string;
  authReqId: string;
}

/**
 * Delivers a flow's challenge to the user's device and records the outcome. The first
 * attempt runs inside the bcauthorize call, after its transaction committed and before it
 * answers, so the client never holds an auth_req_id whose delivery is not yet on the trail;
 * the durable job enqueued with the request is the retry path (and the whole path should the
 * process die in between). Attempts are idempotent: the row lock and `delivered_at` make the
 * second of two racing attempts a no-op.
 */
@Injectable()
export class ChallengeDeliveryService {
  private readonly slots: Slots;

  constructor(
    private readonly requests: CibaRequestsRepository,
    private readonly gateway: ChallengeGateway,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.slots = new Slots(config.ciba.deliveryConcurrency);
  }

  /**
   * The attempt made before bcauthorize answers. Its failure is recorded and left to the
   * job; the request itself was accepted and stays so.
   */
  async firstAttempt(job: CibaJob): Promise<void> {
    await this.attempt(job, 1).catch(() => undefined);
  }

  /** One attempt; a failure is recorded on its own and rethrown for the job runner. */
  async attempt(job: CibaJob, attempt: number): Promise<void> {
    await this.slots.run(async () => {
      try {
        await this.deliverOnce(job, attempt);
      } catch (error) {
        await this.audit
          .recordFailure('indirectDeliverChallenge', {
            status: 502,
            error: 'delivery_failed',
            message: 'The challenge could not be delivered to the device; it will be retried',
            parameters: { attempt },
          })
          .catch((e: unknown) => this.audit.logFailure(e));
        throw error;
      }
    });
  }

  @Transactional()
  private async deliverOnce({ tenant, authReqId }: CibaJob, attempt: number): Promise<void> {
    // The common case in one statement: claimed, marked delivered, its retry job dropped.
    const row = await this.requests.claimDelivery(tenant, authReqId, {
      queue: DELIVER_CHALLENGE_QUEUE,
      id: deliveryJobId(authReqId),
    });
    if (!row) return this.refuseDelivery(tenant, authReqId, attempt);
    await this.gateway.deliver({
      tenant,
      authReqId: row.id,
      deviceId: row.device_id!,
      deviceSerialNumber: row.device_serial ?? '',
      userName: row.user_name,
      clientId: row.client_id,
      scope: row.scope,
      bindingMessage: row.binding_message ?? undefined,
      transactionData: row.challenge.transactionData,
      expiresAt: row.expires_at,
    });
    await this.audit.record('indirectDeliverChallenge', {
      target: auditTarget(row.user_name, row.user_id),
      parameters: deliveryParameters(row, attempt),
    });
  }

  /**
   * Why a request could not be claimed. Answered, expired or already delivered: there is
   * nothing left to show the user. Still waiting but its device is no longer active: that
   * is recorded, and the request stays undelivered.
   */
  private async refuseDelivery(tenant: string, authReqId: string, attempt: number) {
    const row = await this.requests.findForUpdate(tenant, authReqId);
    if (!row || row.status !== 'pending' || row.is_expired || row.delivered_at) return;
    if (row.device_id && row.device_status === 'ACTIVE') return; // claimed meanwhile
    await this.audit.recordMany([
      {
        action: 'indirectDeliverChallenge',
        details: {
          status: 409,
          error: 'device_not_active',
          message: 'The device is no longer active; the challenge was not delivered',
          target: auditTarget(row.user_name, row.user_id),
          parameters: deliveryParameters(row, attempt),
        },
      },
    ]);
  }
}

function deliveryParameters(row: CibaRequestRow, attempt: number) {
  return {
    LHT: row.challenge.loginHintTokenDigest,
    DSN: row.device_serial ?? undefined,
    CHC: row.challenge.channel,
    ATC: row.challenge.authenticatorType,
    clientId: row.client_id,
    ...(attempt > 1 ? { attempt } : {}),
  };
}

/**
 * At most `size` deliveries in flight on this instance (inline and job attempts together),
 * so a burst of requests cannot open more gateway calls, or hold more database
 * connections, than the operator allowed; the others wait their turn in arrival order.
 */
class Slots {
  private busy = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.busy >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.busy++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.busy--;
    }
  }
}
