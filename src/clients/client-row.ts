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

/**
 * A client's configuration as its audit `changes` compare it (computeChanges), in RFC 7591
 * member names. The registration access token's digest is there so a rotation shows as a
 * change (computeChanges never shows a token's value); the secret is the authenticator's.
 */
export function clientChangeView(row: ClientRow): Record<string, unknown> {
  return {
    ...row.metadata,
    client_id: row.client_id,
    ...(row.client_name !== null ? { client_name: row.client_name } : {}),
    grant_types: row.grant_types,
    scope: row.scopes.join(' '),
    token_endpoint_auth_method: row.token_endpoint_auth_method,
    ...(row.registration_token_digest !== null
      ? { registration_access_token: row.registration_token_digest }
      : {}),
  };
}

/** The secret authenticator of a client, as its audit `changes` compare it. */
export function secretChangeView(digest: string | null): Record<string, unknown> | null {
  return digest === null ? null : { client_secret: digest };
}
