/** Which error format a path speaks: SCIM under /{tenant}/v2, OAuth under /{tenant}/authn. */
export type RouteFamily = 'scim' | 'oauth' | 'other';

export const TENANT_NAME = /^[a-z0-9][a-z0-9-]{1,62}$/;
export const RESERVED_TENANTS = new Set(['health', 'docs', 'docs-json', 'metrics', 'admin']);

export function isTenantName(name: string | undefined): name is string {
  return !!name && TENANT_NAME.test(name) && !RESERVED_TENANTS.has(name);
}

export function parseTenantPath(url: string): { tenant?: string; family: RouteFamily } {
  const path = url.split('?', 1)[0];
  const [, first, second] = path.split('/');
  if (second === 'v2') return { tenant: first, family: 'scim' };
  if (second === 'authn' || second === '.well-known') return { tenant: first, family: 'oauth' };
  return { family: 'other' };
}
