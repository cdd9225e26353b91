import { FilterSchema, ScalarAttribute } from '../scim/filter';
import { SearchSpec } from '../search/search.service';
import { isClientMember } from './client-metadata';
import { registrationClientUri } from './client-information';

export const CLIENT_SCHEMA = 'urn:hid:scim:api:idp:2.0:Client';

/** A client as the list reads it: every column but the secret and registration-token digests. */
export interface ClientListRow {
  id: string;
  tenant_id: string;
  client_id: string;
  client_name: string | null;
  grant_types: string[];
  scopes: string[];
  token_endpoint_auth_method: string;
  metadata: Record<string, unknown>;
  client_secret_expires_at: string;
  created: Date;
  updated: Date;
  sort_key: string | null;
}

const str = (sql: string, caseExact: boolean): ScalarAttribute => ({
  kind: 'scalar',
  type: 'string',
  caseExact,
  sql,
});

/**
 * Filterable client attributes over `clients c`, named as RFC 7591 names the metadata. The
 * SCIM `id` is the `client_id`. `grant_types` and `scope` read as their space-separated list,
 * so `grant_types co "ciba"` finds the CIBA clients.
 */
export const CLIENT_FILTER_SCHEMA: FilterSchema = {
  attributes: {
    id: str('c.client_id', true),
    client_id: str('c.client_id', true),
    client_name: str('c.client_name', false),
    grant_types: str("array_to_string(c.grant_types, ' ')", true),
    scope: str("array_to_string(c.scopes, ' ')", true),
    token_endpoint_auth_method: str('c.token_endpoint_auth_method', true),
    backchannel_token_delivery_mode: str("(c.metadata->>'backchannel_token_delivery_mode')", true),
    'meta.created': { kind: 'scalar', type: 'dateTime', caseExact: false, sql: 'c.created' },
    'meta.lastmodified': { kind: 'scalar', type: 'dateTime', caseExact: false, sql: 'c.updated' },
    'meta.resourcetype': str("'Client'", true),
  },
};

export const CLIENTS_SEARCH: SearchSpec = {
  resource: 'Clients',
  schema: CLIENT_FILTER_SCHEMA,
  defaultSort: { sql: 'c.created', type: 'dateTime' },
  id: 'c.id',
  notNull: new Set(['c.created', 'c.updated', 'c.client_id', 'c.token_endpoint_auth_method']),
  table: {
    from: 'clients c',
    tenantColumn: 'c.tenant_id',
    columns: `c.id, c.tenant_id, c.client_id, c.client_name, c.grant_types, c.scopes,
      c.token_endpoint_auth_method, c.metadata, c.client_secret_expires_at, c.created, c.updated`,
  },
};

/**
 * A registered client in a list: its RFC 7591 metadata, never its secret or registration
 * token (neither is stored in clear, and the list does not even read their digests).
 */
export function toClientResource(row: ClientListRow, baseUrl: string): Record<string, unknown> {
  const location = registrationClientUri(baseUrl, row.tenant_id, row.client_id);
  const resource: Record<string, unknown> = {
    schemas: [CLIENT_SCHEMA],
    id: row.client_id,
    client_id: row.client_id,
    ...(row.client_name !== null ? { client_name: row.client_name } : {}),
    client_id_issued_at: Math.floor(row.created.getTime() / 1000),
    client_secret_expires_at: Number(row.client_secret_expires_at),
    grant_types: row.grant_types,
    token_endpoint_auth_method: row.token_endpoint_auth_method,
    ...(row.scopes.length > 0 ? { scope: row.scopes.join(' ') } : {}),
    registration_client_uri: location,
  };
  for (const [key, value] of Object.entries(row.metadata)) {
    if (isClientMember(key)) resource[key] = value;
  }
  resource.meta = {
    resourceType: 'Client',
    created: row.created.toISOString(),
    lastModified: row.updated.toISOString(),
    location,
  };
  return resource;
}
