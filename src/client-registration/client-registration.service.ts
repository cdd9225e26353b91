import { auditTarget } from '../audit/audit-target';
import { Transactional } from '@nestjs-cls/transactional';
import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { forbidden } from '../auth/bearer.guard';
import { ClientDirectoryService } from '../auth/client-directory.service';
import { OIDC_SCOPES } from '../common/scopes';
import { digestSecret, generateSecret, verifySecret } from '../common/secrets';
import { ApiError, oauthError } from '../common/api-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { RequestContextService } from '../context/request-context.service';
import { UsersRepository } from '../users/users.repository';
import { ClientProvisioningService } from '../clients/client-provisioning.service';
import { ClientInformation, IssuedCredentials, toClientInformation } from './client-information';
import { ClientMetadata, parseClientMetadata } from './client-metadata';
import { ClientRow, clientChangeView, secretChangeView } from '../clients/client-row';
import { computeChanges } from '../scim/scim-changes';
import { changeView } from '../users/user.mapper';
import { ClientsRepository } from '../clients/clients.repository';

/** New credentials an RFC 7592 update asks for (`rotate_secret`, `rotate_registration_token`). */
export interface RotationRequest {
  clientSecret: boolean;
  registrationAccessToken: boolean;
}

const OIDC: ReadonlySet<string> = new Set(OIDC_SCOPES);

/**
 * RFC 7591 registration and RFC 7592 management of OAuth clients. Each change and its audit
 * records commit together; the client directory cache is cleared only after the commit, so
 * no other request can cache the old row again.
 */
@Injectable()
export class ClientRegistrationService {
  constructor(
    private readonly provisioning: ClientProvisioningService,
    private readonly clients: ClientsRepository,
    private readonly users: UsersRepository,
    private readonly directory: ClientDirectoryService,
    private readonly audit: AuditService,
    private readonly context: RequestContextService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Service account, configuration and secret authenticator: one transaction, three records. */
  @Transactional()
  async register(tenant: string, body: unknown): Promise<ClientInformation> {
    const metadata = this.parse(body);
    const input = body as Record<string, unknown>;
    for (const member of ['client_id', 'client_secret']) {
      if (input[member] !== undefined) {
        throw oauthError(
          400,
          'invalid_client_metadata',
          `${member} is issued by the server and must not be sent at registration`,
        );
      }
    }
    this.checkScopesWithinCaller(metadata.scopes, []);
    const registrationAccessToken = generateSecret();
    const { client, secret } = await this.provisioning.provision(tenant, {
      clientName: metadata.clientName,
      grantTypes: metadata.grantTypes,
      scopes: metadata.scopes,
      tokenEndpointAuthMethod: metadata.tokenEndpointAuthMethod,
      metadata: metadata.metadata,
      registrationTokenDigest: digestSecret(registrationAccessToken),
    });
    return this.information(client, { clientSecret: secret, registrationAccessToken });
  }

  async read(tenant: string, clientId: string): Promise<ClientInformation> {
    const client = await this.clients.findByClientId(tenant, clientId);
    if (!client) throw notFound(clientId);
    return this.information(client);
  }

  async update(
    tenant: string,
    clientId: string,
    body: unknown,
    rotate: RotationRequest,
  ): Promise<ClientInformation> {
    const result = await this.updateInTransaction(tenant, clientId, body, rotate);
    this.directory.forget(tenant, clientId);
    return result;
  }

  /** Deletion stops the client at once: token endpoint, bearer guard and its own token. */
  async delete(tenant: string, clientId: string): Promise<void> {
    await this.deleteInTransaction(tenant, clientId);
    this.directory.forget(tenant, clientId);
  }

  @Transactional()
  private async updateInTransaction(
    tenant: string,
    clientId: string,
    body: unknown,
    rotate: RotationRequest,
  ): Promise<ClientInformation> {
    const existing = await this.lockForChange(tenant, clientId);
    this.checkScopesWithinCaller([], existing.scopes);
    const metadata = this.parse(body);
    const input = body as Record<string, unknown>;
    // RFC 7592 §2.2: the request names the client, and may carry its current secret only.
    if (input.client_id !== existing.client_id) {
      throw oauthError(
        400,
        'invalid_client_metadata',
        'client_id must be sent and must equal the client being updated',
      );
    }
    if (input.client_secret !== undefined) {
      const presented = typeof input.client_secret === 'string' ? input.client_secret : '';
      if (!(await verifySecret(presented, existing.secret_digest))) {
        throw oauthError(
          400,
          'invalid_client_metadata',
          'client_secret does not match the current secret; the server issues secrets (PUT with rotate_secret=true for a new one)',
        );
      }
    }
    this.checkScopesWithinCaller(metadata.scopes, []);
    const row = await this.clients.update(tenant, clientId, {
      clientName: metadata.clientName,
      grantTypes: metadata.grantTypes,
      scopes: metadata.scopes,
      tokenEndpointAuthMethod: metadata.tokenEndpointAuthMethod,
      metadata: metadata.metadata,
    });
    const target = targetOf(existing);
    const issued: IssuedCredentials = {};
    let stored = row;
    if (rotate.registrationAccessToken) {
      issued.registrationAccessToken = generateSecret();
      const digest = digestSecret(issued.registrationAccessToken);
      await this.clients.updateRegistrationTokenDigest(tenant, clientId, digest);
      stored = { ...row, registration_token_digest: digest };
    }
    await this.audit.record('updateAdapterConfiguration', {
      target,
      parameters: {
        clientId,
        grantTypes: row.grant_types.join(' '),
        scope: row.scopes.join(' '),
        changed: changedMembers(existing, row).join(' ') || 'none',
        ...(issued.registrationAccessToken ? { rotated: 'registration_access_token' } : {}),
      },
      changes: computeChanges(clientChangeView(existing), clientChangeView(stored)),
    });
    if (rotate.clientSecret) {
      issued.clientSecret = generateSecret();
      const digest = digestSecret(issued.clientSecret);
      await this.clients.updateSecretDigest(tenant, clientId, digest);
      await this.audit.record('updateUPAuthenticator', {
        target,
        parameters: { clientId, authenticatorType: 'CLIENT_SECRET', rotated: 'client_secret' },
        changes: computeChanges(secretChangeView(existing.secret_digest), secretChangeView(digest)),
      });
    }
    return this.information(row, issued);
  }

  @Transactional()
  private async deleteInTransaction(tenant: string, clientId: string): Promise<void> {
    const existing = await this.lockForChange(tenant, clientId);
    this.checkScopesWithinCaller([], existing.scopes);
    const target = targetOf(existing);
    await this.clients.delete(tenant, clientId);
    await this.audit.record('deleteUPAuthenticator', {
      target,
      parameters: { clientId, authenticatorType: 'CLIENT_SECRET' },
      changes: computeChanges(secretChangeView(existing.secret_digest), null),
    });
    await this.audit.record('deleteAdapterConfiguration', {
      target,
      parameters: { clientId },
      changes: computeChanges(clientChangeView(existing), null),
    });
    if (existing.service_user_id) {
      const user = await this.users.delete(tenant, existing.service_user_id);
      await this.audit.record('deleteUser', {
        target,
        parameters: { userType: 'ServiceAccount' },
        ...(user ? { changes: computeChanges(changeView(user), null) } : {}),
      });
    }
  }

  private async lockForChange(tenant: string, clientId: string): Promise<ClientRow> {
    const existing = await this.clients.findForUpdate(tenant, clientId);
    if (!existing) throw notFound(clientId);
    if (existing.metadata.bootstrap === true) {
      throw oauthError(
        400,
        'invalid_request',
        'The bootstrap admin client is managed by configuration (BOOTSTRAP_TENANTS, BOOTSTRAP_ADMIN_SECRET) and cannot be changed here',
      );
    }
    return existing;
  }

  private parse(body: unknown): ClientMetadata {
    return parseClientMetadata(body, this.config.limits);
  }

  /**
   * Nobody hands out management scopes it does not hold itself, nor changes a client that
   * holds more than it does (rotating that client's secret would be a way to get its
   * scopes). A client using its registration access token holds exactly its own scopes,
   * so it can keep or drop them, never add one. OIDC scopes carry no management power.
   */
  private checkScopesWithinCaller(requested: string[], current: string[]): void {
    const actor = this.context.require().actor;
    const held = new Set(actor?.scopes ?? []);
    const beyond = (scopes: string[]) => scopes.filter((s) => !OIDC.has(s) && !held.has(s));
    const guarded = beyond(current);
    if (guarded.length > 0) {
      throw forbidden(
        actor?.tenant ?? '',
        `The caller cannot change a client holding scopes it does not hold: ${guarded.join(' ')}`,
        guarded.join(' '),
      );
    }
    const added = beyond(requested);
    if (added.length > 0) {
      throw forbidden(
        actor?.tenant ?? '',
        `The caller cannot grant scopes it does not hold: ${added.join(' ')}`,
        added.join(' '),
      );
    }
  }

  private information(row: ClientRow, issued?: IssuedCredentials): ClientInformation {
    return toClientInformation(row, this.config.publicBaseUrl, issued);
  }
}

function targetOf(client: ClientRow) {
  return auditTarget(client.client_id, client.service_user_id);
}

function changedMembers(before: ClientRow, after: ClientRow): string[] {
  const changed: string[] = [];
  if (before.client_name !== after.client_name) changed.push('client_name');
  if (before.grant_types.join(' ') !== after.grant_types.join(' ')) changed.push('grant_types');
  if (before.scopes.join(' ') !== after.scopes.join(' ')) changed.push('scope');
  if (before.token_endpoint_auth_method !== after.token_endpoint_auth_method) {
    changed.push('token_endpoint_auth_method');
  }
  const keys = new Set([...Object.keys(before.metadata), ...Object.keys(after.metadata)]);
  for (const key of [...keys].sort()) {
    if (JSON.stringify(before.metadata[key]) !== JSON.stringify(after.metadata[key])) {
      changed.push(key);
    }
  }
  return changed;
}

function notFound(clientId: string): ApiError {
  return new ApiError(
    404,
    'not_found',
    `Client ${clientId.slice(0, 64)} is not registered in this tenant`,
  );
}
