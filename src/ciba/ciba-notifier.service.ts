import { auditTarget } from '../audit/audit-target';
import { Transactional } from '@nestjs-cls/transactional';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { JobsService } from '../jobs/jobs.service';
import { EXPIRE_REQUEST_QUEUE, expiryJobId } from './ciba-queues';
import { CibaRequestRow } from './ciba-request-row';
import { CibaRequestsRepository } from './ciba-requests.repository';
import { CibaTokenService } from './ciba-token.service';

export const NOTIFY_CLIENT_QUEUE = 'ciba-notify-client';
export const NOTIFICATION_TIMEOUT_MS = 5000;
/** Retries after the first attempt, with exponential back-off from 1 s (about 1 minute). */
export const NOTIFICATION_RETRIES = 5;

interface NotifyJob {
  tenant: string;
  authReqId: string;
}

/** A notification attempt that did not get a 2xx answer. */
class NotificationError extends Error {
  constructor(
    message: string,
    readonly responseStatus?: number,
  ) {
    super(message);
  }
}

/**
 * Ping and push modes (CIBA Core §10.2, §10.3, §12): when a request is answered or expires,
 * the client's notification endpoint is called with `Authorization: Bearer
 * <client_notification_token>`. Each attempt is a durable job, retried with back-off, and
 * recorded as `notifyCibaClient` whether it succeeded or not. The job runs in the context of
 * the bcauthorize call that started the flow, so its records carry that correlation id.
 */
@Injectable()
export class CibaNotifierService implements OnModuleInit {
  constructor(
    private readonly jobs: JobsService,
    private readonly requests: CibaRequestsRepository,
    private readonly tokens: CibaTokenService,
    private readonly audit: AuditService,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.jobs.register<NotifyJob>(
      NOTIFY_CLIENT_QUEUE,
      {
        retryLimit: NOTIFICATION_RETRIES,
        retryDelay: 1,
        retryBackoff: true,
        expireInSeconds: 60,
        // Calls in a batch run one after another: a batch of silent endpoints must still end
        // (5 x 5 s) well within the job's expiry.
        batchSize: 5,
      },
      (job, { retryCount }) => this.notify(job, retryCount + 1),
    );
  }

  /**
   * Enqueues the notification in the current transaction, under the flow's own context: the
   * one the bcauthorize call left in the flow's expiry job, whoever answered the request.
   */
  async schedule(row: CibaRequestRow): Promise<void> {
    await this.jobs.enqueue<NotifyJob>(
      NOTIFY_CLIENT_QUEUE,
      { tenant: row.tenant_id, authReqId: row.id },
      { continues: { queue: EXPIRE_REQUEST_QUEUE, id: expiryJobId(row.id) } },
    );
  }

  private async notify(job: NotifyJob, attempt: number): Promise<void> {
    try {
      await this.attempt(job, attempt);
    } catch (error) {
      const responseStatus = error instanceof NotificationError ? error.responseStatus : undefined;
      await this.audit
        .recordFailure('notifyCibaClient', {
          status: 502,
          error: 'notification_failed',
          message: error instanceof NotificationError ? error.message : 'Notification failed',
          parameters: {
            attempt,
            ...(responseStatus !== undefined ? { responseStatus } : {}),
            retry: attempt <= NOTIFICATION_RETRIES ? 'scheduled' : 'exhausted',
          },
        })
        .catch((e: unknown) => this.audit.logFailure(e));
      throw error;
    }
  }

  /**
   * One attempt, with the request locked: in push mode the tokens are minted, the request
   * redeemed and the delivery recorded only if the client accepted the call; otherwise all
   * of it rolls back and the next attempt starts afresh.
   */
  @Transactional()
  private async attempt({ tenant, authReqId }: NotifyJob, attempt: number): Promise<void> {
    const row = await this.requests.findForUpdate(tenant, authReqId);
    // The token is forgotten once a notification got through: a duplicate job stops here.
    if (!row?.notification_endpoint || !row.notification_token || row.status === 'pending') {
      return;
    }
    const message = await this.message(tenant, row);
    const responseStatus = await post(
      row.notification_endpoint,
      row.notification_token,
      message.body,
    );
    await this.requests.forgetNotificationToken(tenant, row.id);
    await this.audit.record('notifyCibaClient', {
      target: auditTarget(row.user_name, row.user_id),
      parameters: {
        deliveryMode: row.delivery_mode,
        result: message.result,
        attempt,
        responseStatus,
        endpoint: originOf(row.notification_endpoint),
      },
    });
  }

  private async message(
    tenant: string,
    row: CibaRequestRow,
  ): Promise<{ result: string; body: Record<string, unknown> }> {
    const base = { auth_req_id: row.id };
    if (row.delivery_mode === 'ping') return { result: row.status, body: base };
    if (row.status === 'approved' && !row.is_expired) {
      await this.requests.transition(tenant, row.id, ['approved'], 'redeemed');
      return { result: 'tokens', body: { ...base, ...(await this.tokens.issue(tenant, row)) } };
    }
    if (row.status === 'denied') {
      return {
        result: 'access_denied',
        body: {
          ...base,
          error: 'access_denied',
          error_description: 'The user denied the authentication request',
        },
      };
    }
    return {
      result: 'expired_token',
      body: { ...base, error: 'expired_token', error_description: 'The auth_req_id has expired' },
    };
  }
}

/** Only a 2xx counts (CIBA Core §10.2 expects 204); redirects are not followed. */
async function post(url: string, token: string, body: unknown): Promise<number> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      redirect: 'manual',
      signal: AbortSignal.timeout(NOTIFICATION_TIMEOUT_MS),
    });
  } catch (error) {
    const timeout = (error as { name?: string }).name === 'TimeoutError';
    throw new NotificationError(
      timeout
        ? `The notification endpoint did not answer within ${NOTIFICATION_TIMEOUT_MS} ms`
        : 'The notification endpoint could not be reached',
    );
  }
  await response.body?.cancel();
  if (response.status < 200 || response.status > 299) {
    throw new NotificationError(
      `The notification endpoint answered ${response.status}`,
      response.status,
    );
  }
  return response.status;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'invalid';
  }
}
