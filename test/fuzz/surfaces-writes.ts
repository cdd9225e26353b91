import { brokenJson, mutate, Random } from './random';
import {
  bearer,
  DEVICE_SCHEMA,
  FuzzTarget,
  ORGANIZATION_SCHEMA,
  PATCH_SCHEMA,
  SEARCH_SCHEMA,
  Surface,
  USER_SCHEMA,
  withCorrelation,
} from './target';

interface WriteRoute {
  method: string;
  path: string;
  body: unknown;
  /** Another Authorization than the admin token. */
  auth?: string;
}

/** Every write route that takes JSON, with a valid body to start from. */
function writeRoutes(r: Random, t: FuzzTarget): WriteRoute[] {
  const v2 = `/${t.tenant}/v2`;
  const user = { schemas: [USER_SCHEMA], userName: `fz-${r.int(1e9)}`, name: { givenName: 'A' } };
  const device = { schemas: [DEVICE_SCHEMA], serialNumber: `S-${r.int(1e9)}`, type: 'DT_TDSV4' };
  const organization = {
    schemas: [ORGANIZATION_SCHEMA],
    name: 'Org',
    externalId: `x-${r.int(1e9)}`,
  };
  const patch = (path: string, value: unknown) => ({
    schemas: [PATCH_SCHEMA],
    Operations: [{ op: 'replace', path, value }],
  });
  const stream = { name: 'fz', url: 'http://127.0.0.1:9/fuzz', filter: 'result pr', batchSize: 10 };
  const client = { client_id: t.registeredClientId, client_name: 'fuzz', scope: 'users:read' };
  return [
    { method: 'POST', path: `${v2}/Devices`, body: device },
    { method: 'PUT', path: `${v2}/Devices/${t.deviceId}`, body: device },
    { method: 'PATCH', path: `${v2}/Devices/${t.deviceId}`, body: patch('status', 'ACTIVE') },
    { method: 'POST', path: `${v2}/Organizations`, body: organization },
    { method: 'PUT', path: `${v2}/Organizations/${t.organizationId}`, body: organization },
    {
      method: 'PATCH',
      path: `${v2}/Organizations/${t.organizationId}`,
      body: patch('name', 'Org 2'),
    },
    // Past the tenant's cap of 20 the create is refused whole; the body is still read first.
    { method: 'POST', path: `${v2}/LogStreams`, body: stream },
    { method: 'PATCH', path: `${v2}/LogStreams/${t.logStreamId}`, body: { status: 'paused' } },
    { method: 'POST', path: `${v2}/.search`, body: { schemas: [SEARCH_SCHEMA], count: 1 } },
    {
      method: 'PUT',
      path: `/${t.tenant}/authn/register/${t.registeredClientId}`,
      body: client,
      auth: `Bearer ${t.registrationAccessToken}`,
    },
    { method: 'POST', path: `${v2}/Users`, body: user },
    { method: 'PUT', path: `${v2}/Users/${t.userId}`, body: { ...user, userName: t.userName } },
    {
      method: 'PATCH',
      path: `${v2}/Users/${t.userId}`,
      body: {
        schemas: [PATCH_SCHEMA],
        Operations: [{ op: 'replace', path: 'displayName', value: 'B' }],
      },
    },
    { method: 'POST', path: `${v2}/Users/.search`, body: { schemas: [SEARCH_SCHEMA], count: 1 } },
    {
      method: 'POST',
      path: `${v2}/AuditRecords/.search`,
      body: { schemas: [SEARCH_SCHEMA], filter: 'result eq "RESPONSE_SUCCESS"', count: 1 },
    },
    {
      method: 'POST',
      path: `${v2}/Events/.search`,
      body: { filter: 'correlationId eq X', count: 1 },
    },
    {
      method: 'POST',
      path: `${v2}/Users/.import`,
      body: { users: [{ userName: `im-${r.int(1e9)}` }] },
    },
    {
      method: 'POST',
      path: `${v2}/Devices/.import`,
      body: { devices: [{ serialNumber: `D-${r.int(1e9)}`, type: 'TOKEN' }] },
    },
    {
      method: 'POST',
      path: `${v2}/Organizations/.import`,
      body: { organizations: [{ name: 'Org', externalId: `o-${r.int(1e9)}` }] },
    },
    {
      method: 'POST',
      path: `/${t.tenant}/authn/register`,
      body: { client_name: 'fuzz', scope: 'users:read' },
    },
    {
      method: 'PUT',
      path: `/${t.tenant}/authn/register/${t.registeredClientId}`,
      body: { client_id: t.registeredClientId, client_name: 'fuzz', scope: 'users:read' },
    },
    {
      method: 'POST',
      path: `/${t.tenant}/authn/bcauthorize/${'A'.repeat(20)}/approve`,
      body: { reason: 'ok' },
    },
  ];
}

export const json: Surface = (r, t) => {
  const route = r.pick(writeRoutes(r, t));
  const valid = JSON.stringify(route.body);
  const body = r.chance(0.8) ? JSON.stringify(mutate(r, route.body)) : brokenJson(r, valid);
  const headers = withCorrelation(r, {
    Authorization: route.auth ?? bearer(t),
    'Content-Type': r.pick(['application/scim+json', 'application/json']),
  });
  return { method: route.method, path: route.path, headers, body };
};
