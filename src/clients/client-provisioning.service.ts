import { auditTarget } from '../audit/audit-target';
import { Transactional } from '@nestjs-cls/transactional';
import { Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { AuditService } from '../audit/audit.service';
import { digestSecret, generateSecret } from '../common/secrets';
import { USER_SCHEMA } from '../users/user.schema';
import { UsersRepository } from '../users/users.repository';
import { changeView } from '../users/user.mapper';
import { computeChanges } from '../scim/scim-changes';
import { ClientRow, clientChangeView, secretChangeView } from './client-row';
import { ClientsRepository } from './clients.repository';

export interface ClientSpec {
  clientId?: string;
  clientName?: string | null;
  grantTypes: string[];
  scopes: string[];
  tokenEndpointAuthMethod: string;
  metadata: Record<string, unknown>;
  /** An operator-chosen secret (bootstrap, at least 16 characters); otherwise one is generated. */
  secret?: string;
  registrationTokenDigest?: string | null;
}

/**
 * Creates a client the way HID does: its service-account user, its configuration and its
 * secret authenticator, three records. Callers run it inside their transaction.
 */
@Injectable()
export class ClientProvisioningService {
  constructor(
    private readonly users: UsersRepository,
    private readonly clients: ClientsRepository,
    private readonly audit: AuditService,
  ) {}

  async provision(
    tenant: string,
    spec: ClientSpec,
  ): Promise<{ client: ClientRow; secret: string }> {
    const clientId = spec.clientId ?? uuidv7();
    const secret = spec.secret ?? generateSecret();
    const user = await this.users.insert(tenant, {
      id: uuidv7(),
      userName: clientId,
      active: true,
      serviceAccount: true,
      resource: {
        schemas: [USER_SCHEMA],
        ...(spec.clientName ? { displayName: spec.clientName } : {}),
        userType: 'ServiceAccount',
      },
    });
    const target = auditTarget(user.user_name, user.id);
    await this.audit.record('createUser', {
      target,
      parameters: { userType: 'ServiceAccount' },
      changes: computeChanges(null, changeView(user)),
    });

    const client = await this.clients.insert(tenant, {
      id: uuidv7(),
      clientId,
      clientName: spec.clientName,
      secretDigest: digestSecret(secret),
      registrationTokenDigest: spec.registrationTokenDigest,
      grantTypes: spec.grantTypes,
      scopes: spec.scopes,
      tokenEndpointAuthMethod: spec.tokenEndpointAuthMethod,
      metadata: spec.metadata,
      serviceUserId: user.id,
    });
    await this.audit.record('createAdapterConfiguration', {
      target,
      parameters: { clientId, grantTypes: spec.grantTypes.join(' '), scope: spec.scopes.join(' ') },
      changes: computeChanges(null, clientChangeView(client)),
    });
    await this.audit.record('createUPAuthenticator', {
      target,
      parameters: { clientId, authenticatorType: 'CLIENT_SECRET' },
      changes: computeChanges(null, secretChangeView(client.secret_digest)),
    });
    return { client, secret };
  }

  /**
   * Replaces a client's digest of an older, slow format (scrypt) by the SHA-256 every client
   * secret has now, once its secret was presented and verified: existing digests migrate
   * lazily, without a secret ever being stored.
   */
  @Transactional()
  async rehashSecret(client: ClientRow, secret: string): Promise<void> {
    await this.clients.updateSecretDigest(client.tenant_id, client.client_id, digestSecret(secret));
    await this.audit.record('updateUPAuthenticator', {
      target: auditTarget(client.client_id, client.service_user_id),
      parameters: { clientId: client.client_id, reason: 'secret digest upgraded to SHA-256' },
    });
  }
}
