import { auditTarget } from '../audit/audit-target';
import { Transactional } from '@nestjs-cls/transactional';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { JobsService } from '../jobs/jobs.service';
import { ChallengeGateway } from './challenge-gateway';
import { CibaRequestRow } from './ciba-request-row';
import { CibaRequestsRepository } from './ciba-requests.repository';
import { CibaNotifierService } from './ciba-notifier.service';

import { DELIVER_CHALLENGE_QUEUE, EXPIRE_REQUEST_QUEUE } from './ciba-queues';

export { DELIVER_CHALLENGE_QUEUE, EXPIRE_REQUEST_QUEUE, expiryJobId } from './ciba-queues';

/**
 * Jobs a worker takes per poll (every 0.5 s): a delivery or an expiry is a few milliseconds
 * of database work, so one poll per job would cap an instance at two challenges a second.
 */
const JOB_BATCH = 50;

export interface CibaJob {
  tenant: string;
  authReqId: string;
}

/**
 * The flow's durable background steps: delivering the challenge to the user's device and
 * expiring the request when its lifetime is over. Both run in the context of the request
 * that started the flow (its correlation id, request id, client and COI).
 */
@Injectable()
export class CibaJobsService implements OnModuleInit {
  constructor(
    private readonly jobs: JobsService,
    private readonly requests: CibaRequestsRepository,
    private readonly gateway: ChallengeGateway,
    private readonly notifier: CibaNotifierService,
    private readonly audit: AuditService,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.jobs.register<CibaJob>(
      DELIVER_CHALLENGE_QUEUE,
      { retryLimit: 5, retryDelay: 1, expireInSeconds: 60, batchSize: JOB_BATCH },
      (job, { retryCount }) => this.deliverChallenge(job, retryCount + 1),
    );
    await this.jobs.register<CibaJob>(
      EXPIRE_REQUEST_QUEUE,
      { retryLimit: 10, retryDelay: 1, expireInSeconds: 60, batchSize: JOB_BATCH },
      (job) => this.expireRequest(job),
    );
  }

  /** A failed attempt is recorded on its own and retried with back-off by the job runner. */
  private async deliverChallenge(job: CibaJob, attempt: number): Promise<void> {
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
  }

  @Transactional()
  private async deliverOnce({ tenant, authReqId }: CibaJob, attempt: number): Promise<void> {
    const row = await this.requests.findForUpdate(tenant, authReqId);
    // Answered, expired or already delivered: there is nothing left to show the user.
    if (!row || row.status !== 'pending' || row.is_expired || row.delivered_at) return;
    const parameters = deliveryParameters(row, attempt);
    if (!row.device_id || row.device_status !== 'ACTIVE') {
      await this.audit.recordMany([
        {
          action: 'indirectDeliverChallenge',
          details: {
            status: 409,
            error: 'device_not_active',
            message: 'The device is no longer active; the challenge was not delivered',
            target: auditTarget(row.user_name, row.user_id),
            parameters,
          },
        },
      ]);
      return;
    }
    await this.gateway.deliver({
      tenant,
      authReqId: row.id,
      deviceId: row.device_id,
      deviceSerialNumber: row.device_serial ?? '',
      userName: row.user_name,
      clientId: row.client_id,
      scope: row.scope,
      bindingMessage: row.binding_message ?? undefined,
      transactionData: row.challenge.transactionData,
      expiresAt: row.expires_at,
    });
    await this.requests.markDelivered(tenant, row.id);
    await this.audit.record('indirectDeliverChallenge', {
      target: auditTarget(row.user_name, row.user_id),
      parameters,
    });
  }

  @Transactional()
  private async expireRequest({ tenant, authReqId }: CibaJob): Promise<void> {
    const row = await this.requests.findForUpdate(tenant, authReqId);
    if (!row || (row.status !== 'pending' && row.status !== 'approved')) return;
    // The job never starts early (same clock); should it, the runner retries it later.
    if (!row.is_expired) throw new Error(`CIBA request ${row.id} is not due to expire yet`);
    await this.requests.transition(tenant, row.id, ['pending', 'approved'], 'expired');
    await this.audit.record('expireCibaRequest', {
      target: auditTarget(row.user_name, row.user_id),
      parameters: { previousStatus: row.status, DSN: row.device_serial ?? undefined },
    });
    // A pending request's client is told it expired; an approved one was told already.
    if (row.delivery_mode !== 'poll' && row.status === 'pending') {
      await this.notifier.schedule(row);
    }
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
