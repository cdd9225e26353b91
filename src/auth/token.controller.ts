import { Body, Controller, Headers, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { oauthError } from '../common/api-error';
import { AuditedAs } from '../audit/audit-action.decorator';
import { Public } from '../common/access.decorators';
import { ClientAuthenticatorService, FormBody, single } from './client-authenticator.service';
import { GRANT_CIBA, GRANT_CLIENT_CREDENTIALS } from '../common/scopes';
import { TokenGrantRegistry } from './token-grant.registry';
import { TokenResponse, TokenService } from './token.service';

/** The token request (RFC 6749 §4.4, CIBA Core §10.1) as a form. */
const TOKEN_FORM = {
  schema: {
    type: 'object',
    required: ['grant_type'],
    properties: {
      grant_type: {
        type: 'string',
        enum: [GRANT_CLIENT_CREDENTIALS, GRANT_CIBA],
        example: GRANT_CLIENT_CREDENTIALS,
      },
      scope: {
        type: 'string',
        description: 'Space-separated; without it the token gets every scope of the client',
      },
      auth_req_id: { type: 'string', description: 'With the CIBA grant: the bcauthorize answer' },
      client_id: { type: 'string', description: 'With client_secret_post' },
      client_secret: { type: 'string', description: 'With client_secret_post' },
    },
  },
};

@ApiTags('OAuth')
@Controller(':tenant/authn')
export class TokenController {
  constructor(
    private readonly authenticator: ClientAuthenticatorService,
    private readonly tokens: TokenService,
    private readonly grants: TokenGrantRegistry,
  ) {}

  @Post('token')
  @Public()
  @HttpCode(200)
  @AuditedAs('primaryAuthenticateUP')
  @ApiOperation({
    summary: 'OAuth 2.0 token endpoint (client_credentials, CIBA)',
    operationId: 'issueToken',
  })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody(TOKEN_FORM)
  async issueToken(
    @Param('tenant') tenant: string,
    @Headers('authorization') authorization: string | undefined,
    @Headers('content-type') contentType: string | undefined,
    @Body() body: FormBody | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponse> {
    void reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
    if (!contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded') || !body) {
      throw oauthError(
        400,
        'invalid_request',
        'The token request must be application/x-www-form-urlencoded',
      );
    }
    const authenticated = await this.authenticator.authenticate(tenant, authorization, body);
    const grantType = single(body, 'grant_type');
    if (!grantType) throw oauthError(400, 'invalid_request', 'grant_type is required');
    if (grantType === GRANT_CLIENT_CREDENTIALS) {
      return this.tokens.clientCredentials(tenant, authenticated, single(body, 'scope'));
    }
    const handler = this.grants.get(grantType);
    if (!handler) {
      throw oauthError(
        400,
        'unsupported_grant_type',
        `Unsupported grant_type: ${grantType.slice(0, 100)}`,
      );
    }
    if (grantType === GRANT_CIBA && !authenticated.client.grant_types.includes(GRANT_CIBA)) {
      throw oauthError(
        400,
        'unauthorized_client',
        'This client is not registered for the CIBA grant',
      );
    }
    return handler(tenant, authenticated, body);
  }
}
