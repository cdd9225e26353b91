import { encodeAny } from './http';
import { nastyNumber, nastyString, nastyValue, Random, randomText } from './random';
import { READ_SURFACES } from './surfaces-reads';
import { json } from './surfaces-writes';
import {
  basic,
  bearer,
  FuzzTarget,
  PATCH_SCHEMA,
  SEARCH_SCHEMA,
  Surface,
  USER_SCHEMA,
  validCorrelationId,
  withCorrelation,
} from './target';

export type { FuzzTarget, Surface } from './target';

/** The X-Correlation-ID header itself: valid, too long, empty, repeated, hostile bytes. */
const correlation: Surface = (r, t) => {
  const value = r.pick([
    () => validCorrelationId(r),
    () => 'x'.repeat(65 + r.int(200)),
    () => '',
    () => `${validCorrelationId(r)}, ${validCorrelationId(r)}`,
    () => nastyString(r),
    () => `${validCorrelationId(r)}${String.fromCharCode(r.int(0x20))}`,
    () => randomText(r, 1 + r.int(30)),
  ])();
  const route = r.int(4);
  const headers: Record<string, string> = { 'X-Correlation-ID': value.replace(/[\r\n]/g, ' ') };
  if (route === 0) return { method: 'GET', path: '/health/live', headers };
  if (route === 1) {
    headers.Authorization = bearer(t);
    return { method: 'GET', path: `/${t.tenant}/v2/Users?count=1`, headers };
  }
  if (route === 2) {
    headers.Authorization = bearer(t);
    headers['Content-Type'] = 'application/scim+json';
    const body = { schemas: [USER_SCHEMA], userName: `cid-${r.int(1e9)}` };
    return { method: 'POST', path: `/${t.tenant}/v2/Users`, headers, body: JSON.stringify(body) };
  }
  headers['Content-Type'] = 'application/x-www-form-urlencoded';
  return {
    method: 'POST',
    path: `/${t.tenant}/authn/token`,
    headers,
    body: 'grant_type=client_credentials&client_id=nobody&client_secret=wrong',
  };
};

const ATTRIBUTES = [
  'userName',
  'displayName',
  'externalId',
  'name.givenName',
  'emails.value',
  'emails[type eq "work"].value',
  'active',
  'meta.created',
  'meta.lastModified',
  'id',
  'correlationId',
  'requestId',
  'coi',
  'action.actionName',
  'action.actionParameters.COI',
  'actingUserId.session.id',
  'result',
  'message',
  'created',
  'nosuch',
];
const OPERATORS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'pr', 'EQ', 'xx'];

function filterValue(r: Random): string {
  return r.pick([
    () => JSON.stringify(nastyString(r)),
    () => `"${nastyString(r)}"`,
    () => String(nastyNumber(r)),
    () => r.pick(['true', 'false', 'null']),
    () => randomText(r, 1 + r.int(10)).replace(/\s/g, ''),
    () => '"2020-12-15T00:00:00Z"',
  ])();
}

/** A filter from the RFC 7644 grammar, bent at random places. */
export function filterText(r: Random, depth = 0): string {
  const comparison = () => {
    const op = r.pick(OPERATORS);
    return op.toLowerCase() === 'pr'
      ? `${r.pick(ATTRIBUTES)} pr`
      : `${r.pick(ATTRIBUTES)} ${op} ${filterValue(r)}`;
  };
  switch (depth > 3 ? 0 : r.int(7)) {
    case 0:
    case 1:
      return comparison();
    case 2:
      return `${filterText(r, depth + 1)} ${r.pick(['and', 'or', 'AND'])} ${filterText(r, depth + 1)}`;
    case 3:
      return `not (${filterText(r, depth + 1)})`;
    case 4:
      return `(${filterText(r, depth + 1)})`;
    case 5:
      return `emails[${filterText(r, depth + 1)}]`;
    default:
      return r.chance(0.5) ? nastyString(r) : '('.repeat(r.int(40)) + comparison();
  }
}

const usersFilter: Surface = (r, t) => {
  const params = [`filter=${encodeAny(filterText(r))}`];
  if (r.chance(0.3)) params.push(`startIndex=${encodeAny(String(nastyNumber(r)))}`);
  if (r.chance(0.3)) params.push(`count=${encodeAny(String(nastyNumber(r)))}`);
  if (r.chance(0.2)) params.push(`sortBy=${encodeAny(r.pick(ATTRIBUTES))}`);
  const headers = withCorrelation(r, { Authorization: bearer(t) });
  return { method: 'GET', path: `/${t.tenant}/v2/Users?${params.join('&')}`, headers };
};

const auditFilter: Surface = (r, t) => {
  const body: Record<string, unknown> = { schemas: [SEARCH_SCHEMA], filter: filterText(r) };
  if (r.chance(0.3)) body.startIndex = nastyNumber(r);
  if (r.chance(0.3)) body.count = nastyNumber(r);
  if (r.chance(0.2)) body.sortBy = r.pick(ATTRIBUTES);
  if (r.chance(0.1)) body.sortOrder = nastyValue(r, 0);
  if (r.chance(0.1)) body.attributes = [r.pick(ATTRIBUTES)];
  const headers = withCorrelation(r, {
    Authorization: bearer(t),
    'Content-Type': 'application/scim+json',
  });
  return {
    method: 'POST',
    path: `/${t.tenant}/v2/AuditRecords/.search`,
    headers,
    body: JSON.stringify(body),
  };
};

/** A form body with the named fields, each valid, hostile, repeated or missing. */
function formBody(r: Random, fields: Record<string, () => string>): string {
  const parts: string[] = [];
  for (const [name, valid] of Object.entries(fields)) {
    if (r.chance(0.15)) continue;
    const value = r.chance(0.6) ? valid() : nastyString(r);
    parts.push(
      `${name}=${r.chance(0.1) ? r.pick(['%00', '%ED%A0%80', '%FF', '%', '%G0']) : encodeAny(value)}`,
    );
    if (r.chance(0.05)) parts.push(`${name}=${encodeAny(valid())}`);
  }
  if (r.chance(0.1)) parts.push(`${encodeAny(nastyString(r))}=${encodeAny(nastyString(r))}`);
  return parts.join('&');
}

function clientAuth(r: Random, t: FuzzTarget, headers: Record<string, string>): void {
  const choice = r.int(4);
  if (choice === 0) headers.Authorization = basic(t.clientId, t.secret);
  else if (choice === 1) headers.Authorization = basic(nastyString(r), nastyString(r));
  else if (choice === 2) headers.Authorization = `Basic ${randomText(r, 12).replace(/\s/g, '')}`;
}

const tokenForm: Surface = (r, t) => {
  const headers = withCorrelation(r, { 'Content-Type': 'application/x-www-form-urlencoded' });
  clientAuth(r, t, headers);
  const body = formBody(r, {
    grant_type: () =>
      r.pick(['client_credentials', 'urn:openid:params:grant-type:ciba', 'password']),
    client_id: () => r.pick([t.clientId, 'nobody']),
    client_secret: () => r.pick(['wrong-secret', '']),
    scope: () => r.pick(['users:read', 'openid', 'users:read bogus', '']),
    auth_req_id: () => randomText(r, 20),
  });
  return { method: 'POST', path: `/${t.tenant}/authn/token`, headers, body };
};

const bcauthorizeForm: Surface = (r, t) => {
  const headers = withCorrelation(r, { 'Content-Type': 'application/x-www-form-urlencoded' });
  clientAuth(r, t, headers);
  const body = formBody(r, {
    scope: () => r.pick(['openid', 'openid profile', 'profile']),
    login_hint: () => r.pick([t.userName, 'nobody']),
    login_hint_token: () => randomText(r, 10),
    binding_message: () => randomText(r, 10),
    requested_expiry: () => String(nastyNumber(r)),
    acr_values: () => 'urn:x',
    client_notification_token: () => randomText(r, 16),
  });
  return { method: 'POST', path: `/${t.tenant}/authn/bcauthorize`, headers, body };
};

/** Ids in every path that takes one, and the tenant segment itself. */
const pathIds: Surface = (r, t) => {
  const raw = r.chance(0.1);
  const id = raw
    ? nastyString(r).replace(/[\s?#]/g, '_')
    : r.chance(0.1)
      ? t.userId
      : encodeAny(nastyString(r)) || '%20';
  const v2 = `/${t.tenant}/v2`;
  const [method, path] = r.pick<[string, string]>([
    ['GET', `${v2}/Users/${id}`],
    ['DELETE', `${v2}/Users/${id}`],
    ['PUT', `${v2}/Users/${id}`],
    ['PATCH', `${v2}/Users/${id}`],
    ['GET', `${v2}/Devices/${id}`],
    ['PUT', `${v2}/Devices/${id}`],
    ['PATCH', `${v2}/Devices/${id}`],
    ['DELETE', `${v2}/Devices/${id}`],
    ['GET', `${v2}/Organizations/${id}`],
    ['PUT', `${v2}/Organizations/${id}`],
    ['PATCH', `${v2}/Organizations/${id}`],
    ['DELETE', `${v2}/Organizations/${id}`],
    ['GET', `${v2}/LogStreams/${id}`],
    ['PATCH', `${v2}/LogStreams/${id}`],
    ['DELETE', `${v2}/LogStreams/${id}`],
    ['GET', `${v2}/Organizations/.import/${id}`],
    ['PUT', `/${t.tenant}/authn/register/${id}`],
    ['POST', `/${t.tenant}/authn/bcauthorize/${id}/approve`],
    ['GET', `${v2}/AuditRecords/${id}`],
    ['GET', `${v2}/Users/.import/${id}`],
    ['GET', `${v2}/Devices/.import/${id}`],
    ['GET', `${v2}/Schemas/${id}`],
    ['GET', `${v2}/ResourceTypes/${id}`],
    ['GET', `/${t.tenant}/authn/register/${id}`],
    ['DELETE', `/${t.tenant}/authn/register/${id}`],
    ['POST', `/${t.tenant}/authn/bcauthorize/${id}/deny`],
    ['GET', `/${id}/v2/Users`],
    ['POST', `/${id}/authn/token`],
    ['GET', `/${id}/.well-known/openid-configuration`],
  ]);
  // Never the real user's DELETE: later cases need it.
  const safe = method === 'DELETE' && id === t.userId ? 'GET' : method;
  const headers = withCorrelation(r, { Authorization: bearer(t) });
  // RFC 7592: an opaque bearer (no dots) is read as a registration access token, another door.
  if (path.includes('/authn/register/') && r.chance(0.3)) {
    headers.Authorization = `Bearer ${r.pick([t.registrationAccessToken, 'x'.repeat(43), 'a~b+c/d='])}`;
  }
  let body: string | undefined;
  if (safe === 'PUT' || safe === 'PATCH' || safe === 'POST') {
    headers['Content-Type'] = 'application/json';
    body =
      safe === 'PATCH'
        ? JSON.stringify({
            schemas: [PATCH_SCHEMA],
            Operations: [{ op: 'add', path: 'nickName', value: 'n' }],
          })
        : JSON.stringify({ schemas: [USER_SCHEMA], userName: `p-${r.int(1e9)}` });
  }
  return { method: safe, path, headers, body };
};

export const SURFACES: Record<string, Surface> = {
  correlation,
  json,
  'users-filter': usersFilter,
  'audit-filter': auditFilter,
  'token-form': tokenForm,
  'bcauthorize-form': bcauthorizeForm,
  'path-ids': pathIds,
  ...READ_SURFACES,
};
