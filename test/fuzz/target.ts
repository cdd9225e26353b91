import { encodeAny, FuzzRequest } from './http';
import { Random } from './random';

/** What every surface shares: the run's target, the schema URNs, the auth and echo headers. */

/** What the cases act on: made once when the run starts. */
export interface FuzzTarget {
  tenant: string;
  token: string;
  clientId: string;
  secret: string;
  userId: string;
  userName: string;
  registeredClientId: string;
  /** RFC 7592: the registered client's own token for its configuration endpoint. */
  registrationAccessToken: string;
  deviceId: string;
  organizationId: string;
  logStreamId: string;
}

export type Surface = (r: Random, t: FuzzTarget) => FuzzRequest;

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const SEARCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
export const DEVICE_SCHEMA = 'urn:hid:scim:api:idp:2.0:Device';
export const ORGANIZATION_SCHEMA = 'urn:hid:scim:api:idp:2.0:Organization';
const CID_CHARS = 'ABCXYZabcxyz0189_-.*~@+/:';

export const bearer = (t: FuzzTarget) => `Bearer ${t.token}`;
export const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeAny(id)}:${encodeAny(secret)}`).toString('base64')}`;

/** Sometimes a valid correlation id, so the echo is checked on every surface. */
export function withCorrelation(
  r: Random,
  headers: Record<string, string>,
): Record<string, string> {
  if (r.chance(0.5)) headers['X-Correlation-ID'] = validCorrelationId(r);
  return headers;
}

export function validCorrelationId(r: Random): string {
  const length = 1 + r.int(64);
  let out = '';
  for (let i = 0; i < length; i++) out += CID_CHARS[r.int(CID_CHARS.length)];
  return out;
}
