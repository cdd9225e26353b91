import { Body, Controller, Headers, HttpCode, Inject, Param, Post, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { Public, RequireScopes } from '../common/access.decorators';
import { ClientAuthenticatorService, FormBody } from '../auth/client-authenticator.service';
import { ApiError, oauthError } from '../common/api-error';
import { AuditedAs } from '../audit/audit-action.decorator';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { parseBackchannelRequest } from './backchannel-request';
import { ChallengeDeliveryService } from './challenge-delivery.service';
import { BackchannelResponse, CibaService, Decision } from './ciba.service';

const BACKCHANNEL_FORM = {
  schema: {
    type: 'object',
    required: ['scope'],
    properties: {
      scope: { type: 'string', example: 'openid', description: 'Must contain openid' },
      login_hint: { type: 'string', description: "The user's userName" },
      login_hint_token: {
        type: 'string',
        description:
          'Unsigned or signed JWT with usercode or sub, and deviceid, channel, authpol, tds',
      },
      id_token_hint: {
        type: 'string',
        description: 'An ID token this tenant issued to the client',
      },
      binding_message: { type: 'string', maxLength: 100 },
      requested_expiry: { type: 'integer', minimum: 1, maximum: 600, default: 120 },
      acr_values: { type: 'string' },
      client_notification_token: { type: 'string', description: 'Required in ping and push modes' },
      client_id: { type: 'string', description: 'With client_secret_post' },
      client_secret: { type: 'string', description: 'With client_secret_post' },
    },
  },
};

const ANSWER_BODY = {
  required: false,
  schema: {
    type: 'object',
    properties: { reason: { type: 'string', description: 'Why the user answered so' } },
  },
};

/** CIBA Core 1.0: the backchannel authentication endpoint and the authenticator's answers. */
@ApiTags('CIBA')
@Controller(':tenant/authn/bcauthorize')
export class CibaController {
  constructor(
    private readonly authenticator: ClientAuthenticatorService,
    private readonly ciba: CibaService,
    private readonly delivery: ChallengeDeliveryService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post()
  @Public()
  @HttpCode(200)
  @AuditedAs('createCibaRequest')
  @ApiOperation({
    summary: 'Backchannel authentication request (CIBA Core §7); the auth_req_id is the COI',
    operationId: 'createCibaRequest',
  })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody(BACKCHANNEL_FORM)
  async createCibaRequest(
    @Param('tenant') tenant: string,
    @Headers('authorization') authorization: string | undefined,
    @Headers('content-type') contentType: string | undefined,
    @Body() body: FormBody | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<BackchannelResponse> {
    void reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
    if (!contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded') || !body) {
      throw oauthError(
        400,
        'invalid_request',
        'The authentication request must be application/x-www-form-urlencoded',
      );
    }
    const authenticated = await this.authenticator.authenticate(tenant, authorization, body);
    const params = parseBackchannelRequest(body, this.config.limits);
    const response = await this.ciba.create(tenant, authenticated, params);
    // After the commit, before the answer: the client cannot act on a request whose
    // delivery (or its failure) is not on the trail yet.
    await this.delivery.firstAttempt({ tenant, authReqId: response.auth_req_id });
    return response;
  }

  @Post(':authReqId/approve')
  @HttpCode(204)
  @RequireScopes('ciba:respond')
  @AuditedAs('approveChallenge')
  @ApiOperation({
    summary: "Relay the user's approval of a pending request (409 once it is answered)",
    operationId: 'approveChallenge',
  })
  @ApiBody(ANSWER_BODY)
  async approveChallenge(
    @Param('tenant') tenant: string,
    @Param('authReqId') authReqId: string,
    @Body() body: unknown,
  ): Promise<void> {
    await this.answer(tenant, authReqId, 'approve', body);
  }

  @Post(':authReqId/deny')
  @HttpCode(204)
  @RequireScopes('ciba:respond')
  @AuditedAs('denyChallenge')
  @ApiOperation({
    summary: "Relay the user's refusal of a pending request (409 once it is answered)",
    operationId: 'denyChallenge',
  })
  @ApiBody(ANSWER_BODY)
  async denyChallenge(
    @Param('tenant') tenant: string,
    @Param('authReqId') authReqId: string,
    @Body() body: unknown,
  ): Promise<void> {
    await this.answer(tenant, authReqId, 'deny', body);
  }

  private async answer(
    tenant: string,
    authReqId: string,
    decision: Decision,
    body: unknown,
  ): Promise<void> {
    await this.ciba.answer(tenant, authReqId, decision, this.readReason(body));
  }

  /** The optional body is `{"reason": "..."}`; nothing else is read from it. */
  private readReason(body: unknown): string | undefined {
    if (body === undefined || body === null) return undefined;
    if (typeof body !== 'object' || Array.isArray(body)) {
      throw new ApiError(400, 'invalid_request', 'The body must be a JSON object');
    }
    const reason = (body as { reason?: unknown }).reason;
    if (reason === undefined || reason === null) return undefined;
    if (typeof reason !== 'string' || reason.length > this.config.limits.stringLength) {
      throw new ApiError(
        400,
        'invalid_request',
        `reason must be a string of at most ${this.config.limits.stringLength} characters`,
      );
    }
    return reason;
  }
}
