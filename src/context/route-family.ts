/** Which error format a path speaks: SCIM under /{tenant}/v2, OAuth under /{tenant}/authn. */
export type RouteFamily = 'scim' | 'oauth' | 'other';

export const TENANT_NAME = /^[a-z0-9][a-z0-9-]{1,62}$/;
export const RESERVED_TENANTS = new Set([
  'health',
  'docs',
  'docs-json',
  'metrics',
  'admin',
  'console',
]);

export function isTenantName(name: string | undefined): name is string {
  return !!name && TENANT_NAME.test(name) && !RESERVED_TENANTS.has(name);
}

/**
 * Reads the first two path segments only. The correlation hook calls it once per request and
 * keeps the answer in the request context (`tenant`, `routeFamily`); everything later reads
 * it there. A percent-encoded tenant segment is decoded as the router decodes the parameter.
 */
export function parseTenantPath(url: string): { tenant?: string; family: RouteFamily } {
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  const firstSlash = path.indexOf('/');
  const secondSlash = firstSlash < 0 ? -1 : path.indexOf('/', firstSlash + 1);
  if (secondSlash < 0) return OTHER;
  const thirdSlash = path.indexOf('/', secondSlash + 1);
  const first = path.slice(firstSlash + 1, secondSlash);
  const second = path.slice(secondSlash + 1, thirdSlash < 0 ? path.length : thirdSlash);
  if (second === 'v2') return { tenant: decodeSegment(first), family: 'scim' };
  if (second === 'authn' || second === '.well-known') {
    return { tenant: decodeSegment(first), family: 'oauth' };
  }
  return OTHER;
}

const OTHER: { tenant?: string; family: RouteFamily } = Object.freeze({ family: 'other' });

function decodeSegment(segment: string): string | undefined {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
