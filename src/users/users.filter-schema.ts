import { FilterSchema, MultiValuedAttribute, ScalarAttribute } from '../scim/filter';

const str = (sql: string, caseExact = false): ScalarAttribute => ({
  kind: 'scalar',
  type: 'string',
  caseExact,
  sql,
});
const multi = (key: string, extra: MultiValuedAttribute['sub'] = {}): MultiValuedAttribute => ({
  kind: 'multi',
  jsonb: `u.resource->'${key}'`,
  sub: {
    value: { name: 'value', type: 'string', caseExact: false },
    display: { name: 'display', type: 'string', caseExact: false },
    type: { name: 'type', type: 'string', caseExact: false },
    primary: { name: 'primary', type: 'boolean', caseExact: false },
    ...extra,
  },
});

/** Filterable User attributes (RFC 7643 §4.1) over the `users u` table. */
export const USER_FILTER_SCHEMA: FilterSchema = {
  attributes: {
    id: str('u.id::text', true),
    username: str('u.user_name'),
    externalid: str('u.external_id', true),
    active: { kind: 'scalar', type: 'boolean', caseExact: false, sql: 'u.active' },
    displayname: str("(u.resource->>'displayName')"),
    nickname: str("(u.resource->>'nickName')"),
    title: str("(u.resource->>'title')"),
    usertype: str("(u.resource->>'userType')"),
    preferredlanguage: str("(u.resource->>'preferredLanguage')"),
    locale: str("(u.resource->>'locale')"),
    timezone: str("(u.resource->>'timezone')"),
    profileurl: str("(u.resource->>'profileUrl')", true),
    'name.formatted': str("(u.resource->'name'->>'formatted')"),
    'name.familyname': str("(u.resource->'name'->>'familyName')"),
    'name.givenname': str("(u.resource->'name'->>'givenName')"),
    'name.middlename': str("(u.resource->'name'->>'middleName')"),
    'name.honorificprefix': str("(u.resource->'name'->>'honorificPrefix')"),
    'name.honorificsuffix': str("(u.resource->'name'->>'honorificSuffix')"),
    emails: multi('emails'),
    phonenumbers: multi('phoneNumbers'),
    ims: multi('ims'),
    photos: multi('photos'),
    entitlements: multi('entitlements'),
    roles: multi('roles'),
    x509certificates: multi('x509Certificates'),
    addresses: multi('addresses', {
      formatted: { name: 'formatted', type: 'string', caseExact: false },
      streetaddress: { name: 'streetAddress', type: 'string', caseExact: false },
      locality: { name: 'locality', type: 'string', caseExact: false },
      region: { name: 'region', type: 'string', caseExact: false },
      postalcode: { name: 'postalCode', type: 'string', caseExact: false },
      country: { name: 'country', type: 'string', caseExact: false },
    }),
    'meta.created': { kind: 'scalar', type: 'dateTime', caseExact: false, sql: 'u.created' },
    'meta.lastmodified': {
      kind: 'scalar',
      type: 'dateTime',
      caseExact: false,
      sql: 'u.last_modified',
    },
    'meta.resourcetype': { kind: 'scalar', type: 'string', caseExact: true, sql: "'User'" },
  },
};
