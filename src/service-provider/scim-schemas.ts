import { AUDIT_RECORD_SCHEMA } from '../audit/audit-record';
import { USER_SCHEMA } from '../users/user.mapper';
import { DEVICE_SCHEMA } from '../devices/device.mapper';
import { ORGANIZATION_SCHEMA } from '../organizations/organization.mapper';

/** An attribute definition as RFC 7643 §7 publishes it. */
export interface AttributeDefinition {
  name: string;
  type:
    'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'binary' | 'complex';
  multiValued: boolean;
  description?: string;
  required: boolean;
  caseExact: boolean;
  mutability: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  returned: 'always' | 'never' | 'default' | 'request';
  uniqueness: 'none' | 'server' | 'global';
  canonicalValues?: string[];
  referenceTypes?: string[];
  subAttributes?: AttributeDefinition[];
}

export interface SchemaDefinition {
  id: string;
  name: string;
  description: string;
  attributes: AttributeDefinition[];
}

export interface ResourceTypeDefinition {
  id: string;
  name: string;
  endpoint: string;
  description: string;
  schema: string;
}

type Options = Partial<Omit<AttributeDefinition, 'name' | 'type'>>;

function attr(
  name: string,
  type: AttributeDefinition['type'],
  o: Options = {},
): AttributeDefinition {
  return {
    name,
    type,
    multiValued: false,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...o,
  };
}

const str = (name: string, o: Options = {}) => attr(name, 'string', o);
const complex = (name: string, subAttributes: AttributeDefinition[], o: Options = {}) =>
  attr(name, 'complex', { subAttributes, ...o });

/** RFC 7643 §4.1's multi-valued pattern: value, display, type, primary. */
function multi(name: string, types: string[], valueType: AttributeDefinition['type'] = 'string') {
  return complex(
    name,
    [
      attr('value', valueType),
      str('display'),
      str('type', { canonicalValues: types }),
      attr('primary', 'boolean'),
    ],
    { multiValued: true },
  );
}

const USER: SchemaDefinition = {
  id: USER_SCHEMA,
  name: 'User',
  description: 'User Account (RFC 7643 §4.1)',
  attributes: [
    str('userName', { required: true, uniqueness: 'server' }),
    complex('name', [
      str('formatted'),
      str('familyName'),
      str('givenName'),
      str('middleName'),
      str('honorificPrefix'),
      str('honorificSuffix'),
    ]),
    str('displayName'),
    str('nickName'),
    attr('profileUrl', 'reference', { referenceTypes: ['external'] }),
    str('title'),
    str('userType'),
    str('preferredLanguage'),
    str('locale'),
    str('timezone'),
    attr('active', 'boolean'),
    str('password', { mutability: 'writeOnly', returned: 'never' }),
    multi('emails', ['work', 'home', 'other']),
    multi('phoneNumbers', ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
    multi('ims', ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo']),
    multi('photos', ['photo', 'thumbnail'], 'reference'),
    complex(
      'addresses',
      [
        str('formatted'),
        str('streetAddress'),
        str('locality'),
        str('region'),
        str('postalCode'),
        str('country'),
        str('type', { canonicalValues: ['work', 'home', 'other'] }),
        attr('primary', 'boolean'),
      ],
      { multiValued: true },
    ),
    complex('groups', [str('value'), str('display'), str('type')], {
      multiValued: true,
      mutability: 'readOnly',
    }),
    multi('entitlements', []),
    multi('roles', []),
    multi('x509Certificates', [], 'binary'),
  ],
};

const ro = (o: Options = {}): Options => ({ mutability: 'readOnly', caseExact: true, ...o });

/**
 * HID's AuditRecord. `actingUserId.session` nests one level deeper than RFC 7643 §2.3.8
 * allows; it is described as it is returned. `actionParameters` is a string map.
 */
const AUDIT_RECORD: SchemaDefinition = {
  id: AUDIT_RECORD_SCHEMA,
  name: 'AuditRecord',
  description: 'One audited action: who did what, to whom, under which correlation id and COI',
  attributes: [
    str('tenantId', ro()),
    str('correlationId', ro({ description: 'The X-Correlation-ID of the call, if one was sent' })),
    str('requestId', ro({ description: 'Server-made id of the request (UUIDv7)' })),
    str('coi', ro({ description: 'Id of the long-running operation (import, CIBA), if any' })),
    complex('service', [str('id', ro()), str('host', ro())], ro()),
    complex(
      'action',
      [
        str('actionName', ro()),
        complex('actionParameters', [], ro({ description: 'Flat string-to-string map' })),
      ],
      ro(),
    ),
    str('result', ro({ canonicalValues: ['RESPONSE_SUCCESS', 'RESPONSE_FAILURE'] })),
    str('message', ro({ caseExact: false })),
    complex('return_value', [str('status', ro()), str('error', ro())], ro()),
    complex(
      'actingUserId',
      [
        str('id', ro()),
        str('immutableId', ro()),
        complex('session', [str('id', ro()), str('authenticationMethod', ro())], ro()),
      ],
      ro(),
    ),
    complex('targetUserId', [str('id', ro()), str('immutableId', ro())], ro()),
    attr('created', 'dateTime', ro()),
    str('hash', ro({ description: 'SHA-256 (hex) of the canonical content' })),
  ],
};

/** Devices are made by bulk import and read through SCIM (API.md §7); read-only here. */
const DEVICE: SchemaDefinition = {
  id: DEVICE_SCHEMA,
  name: 'Device',
  description: 'A device of a user, to which CIBA delivers its challenge',
  attributes: [
    str('serialNumber', ro({ required: true, uniqueness: 'server', description: 'The DSN' })),
    str('type', ro({ caseExact: false })),
    str('status', ro({ canonicalValues: ['ACTIVE', 'SUSPENDED', 'REVOKED'] })),
    complex(
      'owner',
      [
        str('value', ro({ description: 'The owning user id' })),
        str('userName', ro({ caseExact: false })),
        attr('$ref', 'reference', ro({ referenceTypes: ['User'] })),
      ],
      ro(),
    ),
  ],
};

/** Organizations are made by bulk import and read through SCIM (API.md §7). */
const ORGANIZATION: SchemaDefinition = {
  id: ORGANIZATION_SCHEMA,
  name: 'Organization',
  description: 'An organization; organizations form a tree through parent',
  attributes: [
    str('name', ro({ required: true, caseExact: false })),
    complex(
      'parent',
      [
        str('value', ro({ description: 'The parent organization id' })),
        str('externalId', ro()),
        attr('$ref', 'reference', ro({ referenceTypes: ['Organization'] })),
      ],
      ro(),
    ),
  ],
};

/** Every schema the service speaks; features add theirs here. */
export const SCHEMAS: SchemaDefinition[] = [USER, AUDIT_RECORD, DEVICE, ORGANIZATION];

/** Every resource type the service serves; features add theirs here. */
export const RESOURCE_TYPES: ResourceTypeDefinition[] = [
  {
    id: 'User',
    name: 'User',
    endpoint: '/Users',
    description: 'User Account',
    schema: USER_SCHEMA,
  },
  {
    id: 'AuditRecord',
    name: 'AuditRecord',
    endpoint: '/AuditRecords',
    description: 'Append-only audit trail, searchable by correlationId, requestId and COI',
    schema: AUDIT_RECORD_SCHEMA,
  },
  {
    id: 'Device',
    name: 'Device',
    endpoint: '/Devices',
    description: 'Devices of users (created by bulk import)',
    schema: DEVICE_SCHEMA,
  },
  {
    id: 'Organization',
    name: 'Organization',
    endpoint: '/Organizations',
    description: 'Organizations (created by bulk import)',
    schema: ORGANIZATION_SCHEMA,
  },
];
