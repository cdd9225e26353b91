import { isClientMember } from './client-metadata';
import { ClientRow } from '../clients/client-row';

/** RFC 7591 §3.2.1 / RFC 7592 §3 client information response. */
export interface ClientInformation {
  client_id: string;
  client_secret?: string;
  client_id_issued_at: number;
  client_secret_expires_at: number;
  registration_client_uri: string;
  registration_access_token?: string;
  client_name?: string;
  grant_types: string[];
  token_endpoint_auth_method: string;
  scope?: string;
  [member: string]: unknown;
}

/** Credentials made by this call: shown in its response once, never again. */
export interface IssuedCredentials {
  clientSecret?: string;
  registrationAccessToken?: string;
}

export function registrationClientUri(baseUrl: string, tenant: string, clientId: string): string {
  return `${baseUrl}/${tenant}/authn/register/${encodeURIComponent(clientId)}`;
}

/**
 * The registered metadata as the client sent it (internal flags left out). A scope list
 * that is empty is left out rather than sent as "", which RFC 6749 §3.3 does not allow.
 */
export function toClientInformation(
  row: ClientRow,
  baseUrl: string,
  issued: IssuedCredentials = {},
): ClientInformation {
  const info: ClientInformation = {
    client_id: row.client_id,
    ...(issued.clientSecret !== undefined ? { client_secret: issued.clientSecret } : {}),
    client_id_issued_at: Math.floor(row.created.getTime() / 1000),
    client_secret_expires_at: Number(row.client_secret_expires_at),
    registration_client_uri: registrationClientUri(baseUrl, row.tenant_id, row.client_id),
    ...(issued.registrationAccessToken !== undefined
      ? { registration_access_token: issued.registrationAccessToken }
      : {}),
    ...(row.client_name !== null ? { client_name: row.client_name } : {}),
    grant_types: row.grant_types,
    token_endpoint_auth_method: row.token_endpoint_auth_method,
    ...(row.scopes.length > 0 ? { scope: row.scopes.join(' ') } : {}),
  };
  for (const [key, value] of Object.entries(row.metadata)) {
    if (isClientMember(key)) info[key] = value;
  }
  return info;
}
