import { Injectable } from '@nestjs/common';
import { CLIENT_COLUMNS, ClientRow } from './client-row';
import { Database } from '../database/database';

export interface NewClient {
  id: string;
  clientId: string;
  clientName?: string | null;
  secretDigest: string;
  registrationTokenDigest?: string | null;
  grantTypes: string[];
  scopes: string[];
  tokenEndpointAuthMethod: string;
  metadata: Record<string, unknown>;
  serviceUserId: string;
}

/** What an RFC 7592 update replaces. */
export interface ClientChanges {
  clientName: string | null;
  grantTypes: string[];
  scopes: string[];
  tokenEndpointAuthMethod: string;
  metadata: Record<string, unknown>;
}

/** Clients table access through the CLS transaction. */
@Injectable()
export class ClientsRepository {
  constructor(private readonly db: Database) {}

  async findByClientId(tenant: string, clientId: string): Promise<ClientRow | undefined> {
    const rows = await this.db.query<ClientRow>(
      `SELECT ${CLIENT_COLUMNS} FROM clients WHERE tenant_id = $1 AND client_id = $2`,
      [tenant, clientId],
    );
    return rows[0];
  }

  /** What a bearer token's check needs of its client, read outside any transaction. */
  async findTokenFacts(
    tenant: string,
    clientId: string,
  ): Promise<{ service_user_id: string | null; scopes: string[] } | undefined> {
    const rows = await this.db.query<{ service_user_id: string | null; scopes: string[] }>(
      'SELECT service_user_id, scopes FROM clients WHERE tenant_id = $1 AND client_id = $2',
      [tenant, clientId],
    );
    return rows[0];
  }

  async insert(tenant: string, client: NewClient): Promise<ClientRow> {
    const rows = await this.db.query<ClientRow>(
      `INSERT INTO clients (id, tenant_id, client_id, client_name, secret_digest,
         registration_token_digest, grant_types, scopes, token_endpoint_auth_method, metadata,
         service_user_id)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING ${CLIENT_COLUMNS}`,
      [
        client.id,
        tenant,
        client.clientId,
        client.clientName ?? null,
        client.secretDigest,
        client.registrationTokenDigest ?? null,
        client.grantTypes,
        client.scopes,
        client.tokenEndpointAuthMethod,
        JSON.stringify(client.metadata),
        client.serviceUserId,
      ],
    );
    return rows[0];
  }

  async updateSecretDigest(tenant: string, clientId: string, digest: string): Promise<void> {
    await this.db.query(
      `UPDATE clients SET secret_digest = $3, updated = date_trunc('milliseconds', now())
       WHERE tenant_id = $1 AND client_id = $2`,
      [tenant, clientId, digest],
    );
  }

  /** Locks the row for the rest of the transaction (RFC 7592 update and delete). */
  async findForUpdate(tenant: string, clientId: string): Promise<ClientRow | undefined> {
    const rows = await this.db.query<ClientRow>(
      `SELECT ${CLIENT_COLUMNS} FROM clients WHERE tenant_id = $1 AND client_id = $2 FOR UPDATE`,
      [tenant, clientId],
    );
    return rows[0];
  }

  async update(tenant: string, clientId: string, changes: ClientChanges): Promise<ClientRow> {
    const rows = await this.db.query<ClientRow>(
      `UPDATE clients SET client_name = $3, grant_types = $4, scopes = $5,
         token_endpoint_auth_method = $6, metadata = $7,
         updated = date_trunc('milliseconds', now())
       WHERE tenant_id = $1 AND client_id = $2 RETURNING ${CLIENT_COLUMNS}`,
      [
        tenant,
        clientId,
        changes.clientName,
        changes.grantTypes,
        changes.scopes,
        changes.tokenEndpointAuthMethod,
        JSON.stringify(changes.metadata),
      ],
    );
    return rows[0];
  }

  async updateRegistrationTokenDigest(
    tenant: string,
    clientId: string,
    digest: string,
  ): Promise<void> {
    await this.db.query(
      `UPDATE clients SET registration_token_digest = $3,
         updated = date_trunc('milliseconds', now())
       WHERE tenant_id = $1 AND client_id = $2`,
      [tenant, clientId, digest],
    );
  }

  async delete(tenant: string, clientId: string): Promise<void> {
    await this.db.query('DELETE FROM clients WHERE tenant_id = $1 AND client_id = $2', [
      tenant,
      clientId,
    ]);
  }
}
