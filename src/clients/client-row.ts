/** A row of `clients` as pg returns it. */
export interface ClientRow {
  id: string;
  tenant_id: string;
  client_id: string;
  client_name: string | null;
  secret_digest: string;
  registration_token_digest: string | null;
  grant_types: string[];
  scopes: string[];
  token_endpoint_auth_method: string;
  metadata: Record<string, unknown>;
  service_user_id: string | null;
  client_secret_expires_at: string;
  created: Date;
  updated: Date;
}

export const CLIENT_COLUMNS = `id, tenant_id, client_id, client_name, secret_digest,
  registration_token_digest, grant_types, scopes, token_endpoint_auth_method, metadata,
  service_user_id, client_secret_expires_at, created, updated`;
