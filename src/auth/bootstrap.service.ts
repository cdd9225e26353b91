import { auditTarget } from '../audit/audit-target';
import { Transactional } from '@nestjs-cls/transactional';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { AuditService } from '../audit/audit.service';
import { ClientProvisioningService } from '../clients/client-provisioning.service';
import { ClientsRepository } from '../clients/clients.repository';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { RequestContextService } from '../context/request-context.service';
import {
  GRANT_CIBA,
  GRANT_CLIENT_CREDENTIALS,
  MANAGEMENT_SCOPES,
  OIDC_SCOPES,
} from '../common/scopes';
import { digestSecret, needsRehash, verifySecret } from '../common/secrets';
import { SigningKeysService } from './signing-keys.service';
import { TenantsService } from './tenants.service';
import { TenantsRepository } from './tenants.repository';

export const BOOTSTRAP_ACTOR = 'system:bootstrap';

/**
 * Ensures the configured tenants, their signing keys and admin clients exist. Idempotent and
 * safe with several instances starting together (an advisory lock per tenant). What it
 * creates is audited like any other change, by the actor `system:bootstrap`.
 */
@Injectable()
export class BootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger(BootstrapService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tenants: TenantsService,
    private readonly keys: SigningKeysService,
    private readonly clients: ClientsRepository,
    private readonly provisioning: ClientProvisioningService,
    private readonly audit: AuditService,
    private readonly context: RequestContextService,
    private readonly tenantRows: TenantsRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const tenant of this.config.bootstrapTenants) {
      // Each tenant is set up in its own context: its rows are written in its tenant scope
      // (row-level security), like a request's.
      const generated = await this.context.run(
        { requestId: uuidv7(), tenant, actor: { id: BOOTSTRAP_ACTOR } },
        async () => {
          await this.tenants.ensure(tenant);
          await this.keys.ensureKey(tenant);
          return this.ensureAdminClient(tenant);
        },
      );
      // A local run (embedded PostgreSQL, never production: there the secret is required)
      // also leaves a generated secret in a file only its user can read, beside the data,
      // so a second shell can pick it up.
      const local = !this.config.databaseUrl;
      const secretFile = join(this.config.localSecretsDir, `${tenant}-admin.secret`);
      if (generated) {
        // Shown once on the console, never through the logger; the database keeps a digest.
        if (local) {
          await mkdir(this.config.localSecretsDir, { recursive: true });
          await writeFile(secretFile, `${generated}\n`, { mode: 0o600 });
        }
        process.stdout.write(
          `\nGenerated admin client for tenant "${tenant}":\n  client_id:     ${tenant}-admin\n  client_secret: ${generated}\n` +
            (local ? `Also in ${secretFile} (readable only by you). ` : 'Store it now. ') +
            `Set BOOTSTRAP_ADMIN_SECRET to choose it.\n\n`,
        );
      } else if (local && this.config.bootstrapAdminSecret) {
        // A chosen secret replaced the generated one: its file would only mislead.
        await rm(secretFile, { force: true });
      }
    }
  }

  /** Returns the secret when one was generated now. */
  @Transactional()
  private async ensureAdminClient(tenant: string): Promise<string | undefined> {
    await this.tenantRows.lockForSetUp(tenant);
    const clientId = `${tenant}-admin`;
    const configured = this.config.bootstrapAdminSecret;
    const existing = await this.clients.findByClientId(tenant, clientId);
    if (existing) {
      const same = configured ? await verifySecret(configured, existing.secret_digest) : true;
      if (configured && (!same || needsRehash(existing.secret_digest))) {
        // Also when only the digest's format is old (scrypt): client secrets are SHA-256 now.
        const reason = same
          ? 'secret digest upgraded to SHA-256'
          : 'BOOTSTRAP_ADMIN_SECRET changed';
        await this.clients.updateSecretDigest(tenant, clientId, digestSecret(configured));
        await this.audit.record('updateUPAuthenticator', {
          target: auditTarget(clientId, existing.service_user_id),
          parameters: { clientId, reason },
        });
        this.logger.log(`Admin secret of tenant ${tenant}: ${reason}`);
      }
      return undefined;
    }
    const { secret } = await this.provisioning.provision(tenant, {
      clientId,
      clientName: `${tenant} administrator`,
      grantTypes: [GRANT_CLIENT_CREDENTIALS, GRANT_CIBA],
      scopes: [...MANAGEMENT_SCOPES, ...OIDC_SCOPES],
      tokenEndpointAuthMethod: 'client_secret_basic',
      metadata: { backchannel_token_delivery_mode: 'poll', bootstrap: true },
      secret: configured,
    });
    this.logger.log(`Created tenant ${tenant} with admin client ${clientId}`);
    return configured ? undefined : secret;
  }
}
