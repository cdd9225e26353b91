/** Management scopes (API.md §3). The admin client holds all of them. */
export const MANAGEMENT_SCOPES = [
  'users:read',
  'users:write',
  'clients:read',
  'clients:write',
  'import:write',
  'devices:read',
  'devices:write',
  'audit:read',
  'streams:write',
  'ciba:respond',
] as const;

export type ManagementScope = (typeof MANAGEMENT_SCOPES)[number];

/** OIDC scopes a client may also hold (CIBA asks for `openid`). */
export const OIDC_SCOPES = ['openid', 'profile'] as const;

export const GRANT_CLIENT_CREDENTIALS = 'client_credentials';
export const GRANT_CIBA = 'urn:openid:params:grant-type:ciba';
