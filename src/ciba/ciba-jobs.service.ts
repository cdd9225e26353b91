import { auditTarget } from '../audit/audit-target';
import { computeChanges } from '../scim/scim-changes';
import { Transactional } from '@nestjs-cls/transactional';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { JobsService } from '../jobs/jobs.service';
import { ChallengeDeliveryService, CibaJob } from './challenge-delivery.service';
import { CibaRequestsRepository } from './ciba-requests.repository';
import { CibaNotifierService } from './ciba-notifier.service';

import { DELIVER_CHALLENGE_QUEUE, EXPIRE_REQUEST_QUEUE } from './ciba-queues';

export type { CibaJob } from './challenge-delivery.service';
export {
  DELIVER_CHALLENGE_QUEUE,
  EXPIRE_REQUEST_QUEUE,
  deliveryJobId,
  expiryJobId,
} from './ciba-queues';

/**
 * Jobs a worker takes per poll (every 0.5 s): a delivery or an expiry is a few milliseconds
 * of database work, so one poll per job would cap an instance at two challenges a second.
 */
const JOB_BATCH = 50;

/**
 * The flow's durable background steps: retrying the challenge delivery that bcauthorize
 * attempted first, and expiring the request when its lifetime is over. Both run in the context of the request
 * that started the flow (its correlation id, request id, client and COI).
 */
@Injectable()
export class CibaJobsService implements OnModuleInit {
  constructor(
    private readonly jobs: JobsService,
    private readonly requests: CibaRequestsRepository,
    private readonly delivery: ChallengeDeliveryService,
    private readonly notifier: CibaNotifierService,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.jobs.register<CibaJob>(
      DELIVER_CHALLENGE_QUEUE,
      {
        retryLimit: 5,
        retryDelay: 1,
        expireInSeconds: 60,
        batchSize: JOB_BATCH,
        concurrency: this.config.ciba.deliveryConcurrency,
      },
      // Attempt 1 was bcauthorize's own; the job's first run is attempt 2.
      (job, { retryCount }) => this.delivery.attempt(job, retryCount + 2),
    );
    await this.jobs.register<CibaJob>(
      EXPIRE_REQUEST_QUEUE,
      { retryLimit: 10, retryDelay: 1, expireInSeconds: 60, batchSize: JOB_BATCH },
      (job) => this.expireRequest(job),
    );
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
      changes: computeChanges({ status: row.status }, { status: 'expired' }),
    });
    // A pending request's client is told it expired; an approved one was told already.
    if (row.delivery_mode !== 'poll' && row.status === 'pending') {
      await this.notifier.schedule(row);
    }
  }
}
