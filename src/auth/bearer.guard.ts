import { clientActor } from '../context/request-context';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FastifyRequest } from 'fastify';
import { ApiError } from '../common/api-error';
import { RequestContextService } from '../context/request-context.service';
import { RequestLimitsService } from './request-limits.service';
import { AccessTokenService } from './access-token.service';
import { IS_PUBLIC, REQUIRED_SCOPES } from '../common/access.decorators';
import { ClientDirectoryService } from './client-directory.service';
import { ManagementScope } from '../common/scopes';

/**
 * Every tenant route needs a bearer access token issued for that tenant. An unknown tenant
 * answers exactly like a known one: 401 without a good token, 403 for another tenant's.
 */
@Injectable()
export class BearerGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: AccessTokenService,
    private readonly clients: ClientDirectoryService,
    private readonly context: RequestContextService,
    private readonly limits: RequestLimitsService,
  ) {}

  async canActivate(execution: ExecutionContext): Promise<boolean> {
    const targets = [execution.getHandler(), execution.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = execution
      .switchToHttp()
      .getRequest<FastifyRequest<{ Params: { tenant?: string } }>>();
    const required =
      this.reflector.getAllAndOverride<ManagementScope[]>(REQUIRED_SCOPES, targets) ?? [];
    await this.authenticate(request, required);
    return true;
  }

  /**
   * Verifies the request's bearer access token, puts its client in the context as the actor
   * and checks `required` scopes. Routes that also accept another credential (RFC 7592's
   * registration access token) call it from their own guard.
   */
  async authenticate(
    request: FastifyRequest<{ Params: { tenant?: string } }>,
    required: ManagementScope[],
  ): Promise<void> {
    const ctx = this.context.require();
    const tenant = ctx.tenant ?? 'management';

    const header = request.headers.authorization;
    const match =
      typeof header === 'string' ? /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header) : null;
    if (!match) {
      throw unauthorized(
        tenant,
        header ? 'Malformed Authorization header' : 'A bearer access token is required',
        !!header,
      );
    }
    const token = match[1];
    const result = await this.tokens.verify(token);
    if ('error' in result) {
      ctx.claimedClientId = this.tokens.claimedClientId(token);
      const flood = this.limits.noteInvalidToken(
        tenant,
        ctx.claimedClientId,
        ctx.clientAddress,
        result.error,
      );
      throw unauthorized(tenant, `Invalid access token: ${result.error}`, true, flood);
    }
    const { claims } = result;
    ctx.claimedClientId = claims.client_id;
    if (claims.tenant !== tenant) {
      throw forbidden(tenant, 'The access token was not issued for this tenant');
    }
    this.limits.countRequest(tenant, claims.client_id);
    const client = await this.clients.lookup(claims.tenant, claims.client_id);
    if (!client) throw unauthorized(tenant, 'Invalid access token: client no longer exists', true);

    // A scope taken from the client since the token was issued stops working with the cache.
    const scopes = (claims.scope ? claims.scope.split(' ') : []).filter((s) =>
      client.scopes.includes(s),
    );
    this.context.setActor(
      clientActor(claims.client_id, client.serviceUserId, {
        session: { id: claims.jti, authenticationMethod: claims.client_auth_method },
        scopes,
        tenant: claims.tenant,
      }),
    );

    const missing = required.filter((s) => !scopes.includes(s));
    if (missing.length > 0) {
      throw forbidden(
        tenant,
        `The access token lacks the scope ${missing.join(' ')}`,
        missing.join(' '),
      );
    }
  }
}

export function unauthorized(
  tenant: string,
  detail: string,
  invalidToken: boolean,
  flood?: { coalesceKey: string; holdMs: number },
): ApiError {
  const challenge = invalidToken
    ? `Bearer realm="${tenant}", error="invalid_token", error_description="${detail.replace(/"/g, "'")}"`
    : `Bearer realm="${tenant}"`;
  return new ApiError(401, 'invalid_token', detail, {
    headers: { 'WWW-Authenticate': challenge },
    ...flood,
  });
}

export function forbidden(tenant: string, detail: string, scope?: string): ApiError {
  const challenge = `Bearer realm="${tenant}", error="insufficient_scope"${scope ? `, scope="${scope}"` : ''}`;
  return new ApiError(403, 'insufficient_scope', detail, {
    headers: { 'WWW-Authenticate': challenge },
  });
}
