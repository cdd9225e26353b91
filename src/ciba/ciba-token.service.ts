import { clientActor } from '../context/request-context';
import { auditTarget } from '../audit/audit-target';
import { computeChanges } from '../scim/scim-changes';
import { Transactional } from '@nestjs-cls/transactional';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { SignJWT } from 'jose';
import { createHash } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import { AccessTokenService } from '../auth/access-token.service';
import { AuthenticatedClient, FormBody, single } from '../auth/client-authenticator.service';
import { GRANT_CIBA } from '../common/scopes';
import { SIGNING_ALG, SigningKeysService } from '../auth/signing-keys.service';
import { TokenGrantRegistry } from '../auth/token-grant.registry';
import { TokenResponse } from '../auth/token.service';
import { ApiError, oauthError } from '../common/api-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { RequestContextService } from '../context/request-context.service';
import { isAuthReqId } from './auth-req-id';
import { CibaRequestRow } from './ciba-request-row';
import { CibaRequestsRepository } from './ciba-requests.repository';

/** CIBA Core §11: each slow_down makes the client wait this much longer. */
export const SLOW_DOWN_STEP_SECONDS = 5;

type PollOutcome = { tokens: TokenResponse } | { error: ApiError };

/**
 * The CIBA grant of the token endpoint (poll and ping modes) and the tokens of an approved
 * request, which push mode sends from its notification job. Tokens are minted only while
 * the request row is locked and moved from `approved` to `redeemed` in the same
 * transaction, so they exist at most once per `auth_req_id`.
 */
@Injectable()
export class CibaTokenService implements OnModuleInit {
  constructor(
    private readonly requests: CibaRequestsRepository,
    private readonly grants: TokenGrantRegistry,
    private readonly tokens: AccessTokenService,
    private readonly keys: SigningKeysService,
    private readonly audit: AuditService,
    private readonly context: RequestContextService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.grants.register(GRANT_CIBA, (tenant, client, body) =>
      this.pollGrant(tenant, client, body),
    );
  }

  private async pollGrant(
    tenant: string,
    authenticated: AuthenticatedClient,
    body: FormBody,
  ): Promise<TokenResponse> {
    const authReqId = single(body, 'auth_req_id');
    if (!authReqId) throw oauthError(400, 'invalid_request', 'auth_req_id is required');
    const { client } = authenticated;
    this.context.setActor(clientActor(client.client_id, client.service_user_id));
    // Protocol answers (pending, slow_down) must commit their poll bookkeeping, so the
    // transaction returns the outcome and the error is thrown after it committed.
    const outcome = await this.poll(tenant, authenticated, authReqId);
    if ('error' in outcome) throw outcome.error;
    return outcome.tokens;
  }

  @Transactional()
  private async poll(
    tenant: string,
    { client, method }: AuthenticatedClient,
    authReqId: string,
  ): Promise<PollOutcome> {
    const row = isAuthReqId(authReqId)
      ? await this.requests.findForUpdate(tenant, authReqId)
      : undefined;
    if (!row || row.client_id !== client.client_id) {
      return failure('invalid_grant', 'The auth_req_id is unknown or was issued to another client');
    }
    this.context.setCoi(row.id);
    if (row.delivery_mode === 'push') {
      return failure(
        'unauthorized_client',
        'This request is in push mode: its tokens are sent to the notification endpoint',
      );
    }
    if (row.status === 'redeemed') {
      return failure('invalid_grant', 'The auth_req_id has already been redeemed');
    }
    if (row.status === 'expired' || row.is_expired) {
      return failure('expired_token', 'The auth_req_id has expired');
    }
    switch (row.status) {
      case 'denied':
        return failure('access_denied', 'The user denied the authentication request');
      case 'pending':
        return this.pending(tenant, row);
      case 'approved':
        break;
    }
    if (!(await this.requests.transition(tenant, row.id, ['approved'], 'redeemed'))) {
      return failure('invalid_grant', 'The auth_req_id has already been redeemed');
    }
    return { tokens: await this.issue(tenant, row, method) };
  }

  /** authorization_pending, or slow_down (interval + 5 s) when the client polls too fast. */
  private async pending(tenant: string, row: CibaRequestRow): Promise<PollOutcome> {
    const tooSoon = row.since_last_poll !== null && row.since_last_poll < row.poll_interval;
    const interval = row.poll_interval + (tooSoon ? SLOW_DOWN_STEP_SECONDS : 0);
    await this.requests.recordPoll(tenant, row.id, interval);
    const error = tooSoon
      ? new ApiError(400, 'slow_down', `Poll at most every ${interval} seconds`, {
          skipAudit: true,
        })
      : new ApiError(400, 'authorization_pending', 'The user has not answered yet', {
          skipAudit: true,
        });
    return { error };
  }

  /**
   * Mints the access token and ID token of a request the caller has just moved to
   * `redeemed` (inside its transaction) and records the authentication.
   */
  async issue(
    tenant: string,
    row: CibaRequestRow,
    authenticationMethod?: string,
  ): Promise<TokenResponse> {
    const scopes = row.scope.split(' ');
    const authTime = Math.floor((row.answered_at ?? new Date()).getTime() / 1000);
    const acr = row.acr_values?.split(' ')[0];
    const access = await this.tokens.issue(tenant, row.client_id, scopes, {
      ...(authenticationMethod ? { client_auth_method: authenticationMethod } : {}),
      auth_time: authTime,
      ...(acr ? { acr } : {}),
    });
    const idToken = await this.idToken(tenant, row, access.token, authTime, acr);
    const actor = this.context.require().actor;
    this.context.setActor({
      ...actor,
      id: row.client_id,
      clientId: row.client_id,
      session: { id: access.jti, authenticationMethod },
    });
    await this.audit.record('primaryAuthenticateUP', {
      target: auditTarget(row.user_name, row.user_id),
      parameters: { grantType: GRANT_CIBA, deliveryMode: row.delivery_mode, scope: row.scope },
      // The request was moved from approved to redeemed in this transaction (poll).
      changes: computeChanges({ status: 'approved' }, { status: 'redeemed' }),
    });
    return {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: access.expiresIn,
      scope: row.scope,
      id_token: idToken,
    };
  }

  /** OIDC ID token (CIBA Core §10.3.1 claims included in every mode). */
  private async idToken(
    tenant: string,
    row: CibaRequestRow,
    accessToken: string,
    authTime: number,
    acr: string | undefined,
  ): Promise<string> {
    const key = await this.keys.signingKey(tenant);
    const digest = createHash('sha256').update(accessToken).digest();
    return new SignJWT({
      auth_time: authTime,
      ...(acr ? { acr } : {}),
      at_hash: digest.subarray(0, digest.length / 2).toString('base64url'),
      'urn:openid:params:jwt:claim:auth_req_id': row.id,
    })
      .setProtectedHeader({ alg: SIGNING_ALG, typ: 'JWT', kid: key.kid })
      .setIssuer(this.tokens.issuer(tenant))
      .setAudience(row.client_id)
      .setSubject(row.user_id)
      .setIssuedAt()
      .setExpirationTime(`${this.config.accessTokenTtlSeconds}s`)
      .sign(key.privateKey);
  }
}

function failure(error: string, description: string): PollOutcome {
  return { error: oauthError(400, error, description) };
}
