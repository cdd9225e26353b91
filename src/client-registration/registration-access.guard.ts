import { clientActor } from '../context/request-context';
import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FastifyRequest } from 'fastify';
import { BearerGuard, unauthorized } from '../auth/bearer.guard';
import { ManagementScope } from '../common/scopes';
import { verifySecret } from '../common/secrets';
import { TenantsService } from '../auth/tenants.service';
import { RequestContextService } from '../context/request-context.service';
import { ClientsRepository } from '../clients/clients.repository';

export const CLIENT_CONFIGURATION_SCOPE = 'clientConfigurationScope';

/** The scope an admin access token needs on this RFC 7592 route. */
export const ClientConfigurationAccess = (scope: ManagementScope) =>
  SetMetadata(CLIENT_CONFIGURATION_SCOPE, scope);

type ConfigurationRequest = FastifyRequest<{ Params: { tenant?: string; clientId?: string } }>;

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const DUMMY_DIGEST = `sha256:${'0'.repeat(64)}`;

/**
 * RFC 7592 client configuration endpoint: the caller presents either an admin access token
 * (a JWT, checked exactly like every other route, with the route's clients:* scope) or the
 * client's own registration access token (an opaque secret, checked against its digest).
 * A registration access token that does not belong to the client in the path, or a client
 * that does not exist, is 401 invalid_token (RFC 7592 §2), indistinguishable from a wrong one.
 */
@Injectable()
export class RegistrationAccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly bearer: BearerGuard,
    private readonly tenants: TenantsService,
    private readonly clients: ClientsRepository,
    private readonly context: RequestContextService,
  ) {}

  async canActivate(execution: ExecutionContext): Promise<boolean> {
    const request = execution.switchToHttp().getRequest<ConfigurationRequest>();
    const scope = this.reflector.get<ManagementScope>(
      CLIENT_CONFIGURATION_SCOPE,
      execution.getHandler(),
    );
    const header = request.headers.authorization;
    const token = typeof header === 'string' ? BEARER.exec(header)?.[1] : undefined;
    // An access token is a JWT (three dot-separated parts); a registration token never is.
    if (token === undefined || token.includes('.')) {
      await this.bearer.authenticate(request, [scope]);
      return true;
    }
    await this.authenticateRegistrationToken(request, token);
    return true;
  }

  private async authenticateRegistrationToken(
    request: ConfigurationRequest,
    token: string,
  ): Promise<void> {
    const tenant = request.params.tenant ?? '';
    const clientId = request.params.clientId ?? '';
    const ctx = this.context.require();
    if (/^[A-Za-z0-9_.:@-]{1,128}$/.test(clientId)) ctx.claimedClientId = clientId;
    const client =
      ctx.claimedClientId && (await this.tenants.exists(tenant))
        ? await this.clients.findByClientId(tenant, clientId)
        : undefined;
    // Compare even when there is nothing to compare with, so timing tells nothing.
    const digest = client?.registration_token_digest ?? DUMMY_DIGEST;
    if (!(await verifySecret(token, digest)) || !client?.registration_token_digest) {
      throw unauthorized(tenant, 'Invalid registration access token', true);
    }
    // A client managing itself holds exactly the scopes it has: it cannot widen them.
    this.context.setActor(
      clientActor(client.client_id, client.service_user_id, { scopes: client.scopes, tenant }),
    );
  }
}
