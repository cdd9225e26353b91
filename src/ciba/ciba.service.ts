import { Transactional } from '@nestjs-cls/transactional';
import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { auditTarget } from '../audit/audit-target';
import { computeChanges } from '../scim/scim-changes';
import { AuthenticatedClient } from '../auth/client-authenticator.service';
import { GRANT_CIBA, OIDC_SCOPES } from '../common/scopes';
import { grantedScopes } from '../auth/token.service';
import { ClientRow } from '../clients/client-row';
import { ApiError, oauthError } from '../common/api-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { clientActor } from '../context/request-context';
import { RequestContextService } from '../context/request-context.service';
import { JobsService } from '../jobs/jobs.service';
import { isAuthReqId, newAuthReqId } from './auth-req-id';
import { BackchannelParams } from './backchannel-request';
import { DeliveryMode } from './ciba-request-row';
import { CibaRequestsRepository } from './ciba-requests.repository';
import { CibaHintsService } from './ciba-hints.service';
import { CibaNotifierService } from './ciba-notifier.service';
import {
  CibaJob,
  DELIVER_CHALLENGE_QUEUE,
  EXPIRE_REQUEST_QUEUE,
  deliveryJobId,
  expiryJobId,
} from './ciba-jobs.service';

export interface BackchannelResponse {
  auth_req_id: string;
  expires_in: number;
  interval?: number;
}

export type Decision = 'approve' | 'deny';

/**
 * When the delivery job first looks at a request: long enough that it does not race the
 * inline attempt under load, short enough that a failed attempt is retried promptly.
 */
const DELIVERY_RETRY_AFTER_SECONDS = 2;

/**
 * The CIBA flow's state changes: a request is created (and its challenge delivery retry and
 * expiry scheduled as durable jobs in the same transaction), then answered once by the
 * authenticator side. The `auth_req_id` is the flow's COI, so every record carries it.
 */
@Injectable()
export class CibaService {
  constructor(
    private readonly requests: CibaRequestsRepository,
    private readonly hints: CibaHintsService,
    private readonly notifier: CibaNotifierService,
    private readonly jobs: JobsService,
    private readonly audit: AuditService,
    private readonly context: RequestContextService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Transactional()
  async create(
    tenant: string,
    { client }: AuthenticatedClient,
    params: BackchannelParams,
  ): Promise<BackchannelResponse> {
    this.context.setActor(clientActor(client.client_id, client.service_user_id));
    if (!client.grant_types.includes(GRANT_CIBA)) {
      throw oauthError(400, 'unauthorized_client', 'This client is not registered for CIBA');
    }
    const delivery = deliveryOf(client);
    if (delivery.mode !== 'poll' && params.clientNotificationToken === undefined) {
      throw oauthError(
        400,
        'invalid_request',
        `client_notification_token is required in ${delivery.mode} mode`,
      );
    }
    const scopes = grantedScopes(params.scopes.join(' '), [...client.scopes, ...OIDC_SCOPES]);
    const { user, device, challenge } = await this.hints.resolve(tenant, client, params.hint);

    const id = newAuthReqId();
    this.context.setCoi(id);
    const interval = this.config.ciba.pollIntervalSeconds;
    await this.requests.insert(tenant, {
      id,
      clientId: client.client_id,
      userId: user.id,
      deviceId: device.id,
      scope: scopes.join(' '),
      acrValues: params.acrValues?.join(' '),
      bindingMessage: params.bindingMessage,
      hintKind: params.hint.kind,
      challenge: { ...challenge, bindingMessage: params.bindingMessage },
      deliveryMode: delivery.mode,
      notificationEndpoint: delivery.endpoint,
      notificationToken: delivery.mode === 'poll' ? undefined : params.clientNotificationToken,
      pollInterval: interval,
      expiresIn: params.requestedExpiry,
    });
    await this.audit.record('createCibaRequest', {
      target: auditTarget(user.user_name, user.id),
      changes: computeChanges(null, { status: 'pending' }),
      parameters: {
        clientId: client.client_id,
        scope: scopes.join(' '),
        deliveryMode: delivery.mode,
        hint: params.hint.kind,
        expiresIn: params.requestedExpiry,
        acrValues: params.acrValues?.join(' '),
        bindingMessage: params.bindingMessage,
        LHT: challenge.loginHintTokenDigest,
      },
    });
    const job: CibaJob = { tenant, authReqId: id };
    // The retry path: the caller makes the first attempt once this commits (the controller),
    // which drops this job by its id when it delivers.
    await this.jobs.enqueue(DELIVER_CHALLENGE_QUEUE, job, {
      startAfterSeconds: DELIVERY_RETRY_AFTER_SECONDS,
      id: deliveryJobId(id),
    });
    // The expiry job's envelope is the flow's one copy of this call's context: later work
    // for the flow (client notifications after an answer) continues from it.
    await this.jobs.enqueue(EXPIRE_REQUEST_QUEUE, job, {
      startAfterSeconds: params.requestedExpiry,
      id: expiryJobId(id),
    });
    return {
      auth_req_id: id,
      expires_in: params.requestedExpiry,
      // CIBA Core §7.3: the interval matters only to clients that call the token endpoint.
      ...(delivery.mode === 'push' ? {} : { interval }),
    };
  }

  /**
   * The user's answer, relayed by the authenticator side. A request answers once: any later
   * answer, the same one included, is a conflict. The record acts as the user; the
   * responding client is named in `CLI`.
   */
  @Transactional()
  async answer(
    tenant: string,
    authReqId: string,
    decision: Decision,
    reason?: string,
  ): Promise<void> {
    const row = isAuthReqId(authReqId)
      ? await this.requests.findForUpdate(tenant, authReqId)
      : undefined;
    if (!row) throw new ApiError(404, 'not_found', 'Unknown auth_req_id');
    this.context.setCoi(row.id);
    if (row.status !== 'pending' || row.is_expired) {
      const state = row.status === 'pending' ? 'expired' : row.status;
      throw new ApiError(
        409,
        'conflict',
        `The authentication request is no longer pending (${state})`,
      );
    }
    const responder = this.context.require().actor;
    const status = decision === 'approve' ? 'approved' : 'denied';
    await this.requests.transition(tenant, row.id, ['pending'], status, {
      by: responder?.clientId ?? 'unknown',
      reason,
    });
    await this.audit.record(decision === 'approve' ? 'approveChallenge' : 'denyChallenge', {
      actor: { id: row.user_name, immutableId: row.user_id, session: responder?.session },
      target: auditTarget(row.user_name, row.user_id),
      parameters: {
        CLI: responder?.clientId,
        DSN: row.device_serial ?? undefined,
        ...(reason !== undefined ? { reason } : {}),
      },
      changes: computeChanges({ status: row.status }, { status }),
    });
    if (row.delivery_mode !== 'poll') await this.notifier.schedule(row);
  }
}

/** The client's registered delivery mode (registration stores it in its metadata). */
function deliveryOf(client: ClientRow): { mode: DeliveryMode; endpoint?: string } {
  const mode = client.metadata.backchannel_token_delivery_mode ?? 'poll';
  if (mode !== 'poll' && mode !== 'ping' && mode !== 'push') {
    throw oauthError(400, 'unauthorized_client', 'The client has an unknown CIBA delivery mode');
  }
  if (mode === 'poll') return { mode };
  const endpoint = client.metadata.backchannel_client_notification_endpoint;
  if (typeof endpoint !== 'string' || !/^https?:\/\//i.test(endpoint)) {
    throw oauthError(
      400,
      'unauthorized_client',
      `The client is registered for ${mode} mode without a notification endpoint`,
    );
  }
  return { mode, endpoint };
}
