import { clientActor } from '../context/request-context';
import { auditTarget } from '../audit/audit-target';
import { Transactional } from '@nestjs-cls/transactional';
import { Injectable } from '@nestjs/common';
import { oauthError } from '../common/api-error';
import { AuditService } from '../audit/audit.service';
import { RequestContextService } from '../context/request-context.service';
import { AccessTokenService } from './access-token.service';
import { AuthenticatedClient } from './client-authenticator.service';
import { GRANT_CLIENT_CREDENTIALS } from '../common/scopes';

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  id_token?: string;
}

/** The client_credentials grant; other grants (CIBA) plug in beside it. */
@Injectable()
export class TokenService {
  constructor(
    private readonly tokens: AccessTokenService,
    private readonly audit: AuditService,
    private readonly context: RequestContextService,
  ) {}

  @Transactional()
  async clientCredentials(
    tenant: string,
    { client, method }: AuthenticatedClient,
    requestedScope: string | undefined,
  ): Promise<TokenResponse> {
    if (!client.grant_types.includes(GRANT_CLIENT_CREDENTIALS)) {
      throw oauthError(
        400,
        'unauthorized_client',
        'This client may not use the client_credentials grant',
      );
    }
    const scopes = grantedScopes(requestedScope, client.scopes);
    const issued = await this.tokens.issue(tenant, client.client_id, scopes, {
      client_auth_method: method,
    });
    this.context.setActor(
      clientActor(client.client_id, client.service_user_id, {
        session: { id: issued.jti, authenticationMethod: method },
      }),
    );
    await this.audit.record('primaryAuthenticateUP', {
      parameters: { grantType: GRANT_CLIENT_CREDENTIALS, scope: scopes.join(' ') },
      target: auditTarget(client.client_id, client.service_user_id),
    });
    return {
      access_token: issued.token,
      token_type: 'Bearer',
      expires_in: issued.expiresIn,
      scope: scopes.join(' '),
    };
  }
}

/** RFC 6749 §3.3: no scope means all the client may have; anything beyond that is refused. */
export function grantedScopes(requested: string | undefined, allowed: string[]): string[] {
  if (requested === undefined || requested.trim() === '') return [...allowed];
  if (!/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/.test(requested)) {
    throw oauthError(400, 'invalid_scope', 'The scope parameter is malformed');
  }
  const scopes = [...new Set(requested.split(' '))];
  const outside = scopes.filter((s) => !allowed.includes(s));
  if (outside.length > 0) {
    throw oauthError(
      400,
      'invalid_scope',
      `Scope not allowed for this client: ${outside.join(' ').slice(0, 200)}`,
    );
  }
  return scopes;
}
