import { AUDIT_PARAMETER_KEYS } from '../audit/audit-actions';
import { AUDIT_RECORD_SCHEMA } from '../audit/audit-record';
import {
  attr,
  AttributeOptions,
  complex,
  ResourceTypeDefinition,
  SchemaDefinition,
  str,
} from '../scim/scim-schema';
import { USER_SCHEMA, USER_SCHEMA_DEFINITION } from '../users/user.schema';
import { DEVICE_SCHEMA } from '../devices/device.mapper';
import { ORGANIZATION_SCHEMA } from '../organizations/organization.mapper';

const ro = (o: AttributeOptions = {}): AttributeOptions => ({
  mutability: 'readOnly',
  caseExact: true,
  ...o,
});

/**
 * HID's AuditRecord. `actingUserId.session` and `action.actionParameters` nest one level
 * deeper than RFC 7643 §2.3.8 allows; they are described as they are returned.
 * `actionParameters` is a string map: its known keys come from the audit catalogue.
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
        complex(
          'actionParameters',
          AUDIT_PARAMETER_KEYS.map((key) => str(key, ro())),
          ro({
            description:
              'Flat string-to-string map. The keys listed are those the service writes; ' +
              'records written by other versions or imported may carry others',
          }),
        ),
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
    complex(
      'changes',
      [
        str(
          'attribute',
          ro({ description: 'SCIM attribute path, e.g. emails[type eq "work"].value' }),
        ),
        str('op', ro({ canonicalValues: ['add', 'replace', 'remove'] })),
        str(
          'before',
          ro({ description: 'Value before, as text (JSON text if not a string); absent for add' }),
        ),
        str(
          'after',
          ro({
            description: 'Value after, as text (JSON text if not a string); absent for remove',
          }),
        ),
        attr('valueOmitted', 'boolean', ro({ description: 'A secret: changed, never shown' })),
        attr('truncated', 'boolean', ro({ description: 'A value was cut to 256 characters' })),
      ],
      ro({
        multiValued: true,
        description: 'What the change moved, from the stored state before and after it',
      }),
    ),
    attr('unchanged', 'boolean', ro({ description: 'Present (true) when nothing changed' })),
    complex(
      'client',
      [
        str('ipAddress', ro({ description: 'Caller address, per TRUST_PROXY' })),
        str('userAgent', ro({ caseExact: false })),
        attr(
          'fromRequest',
          'boolean',
          ro({ description: 'Background work, carried from its request' }),
        ),
      ],
      ro(),
    ),
    str('traceId', ro({ description: 'W3C trace id of the traceparent the call came with' })),
    attr('created', 'dateTime', ro()),
    str('hash', ro({ description: 'SHA-256 (hex) of the canonical content' })),
    complex(
      'seal',
      [
        str('id', ro()),
        attr('seq', 'integer', ro()),
        str('root', ro({ description: "Merkle root (hex) over the sealed records' hashes" })),
        attr('index', 'integer', ro()),
        attr('count', 'integer', ro()),
        str('proof', ro({ multiValued: true, description: 'RFC 6962 audit path, hex' })),
      ],
      ro({
        returned: 'request',
        description:
          'The seal covering the record and its inclusion proof; on a record read by id, once sealed',
      }),
    ),
  ],
};

/** Devices: written through SCIM (`devices:write`) or bulk import (API.md §7). */
const DEVICE: SchemaDefinition = {
  id: DEVICE_SCHEMA,
  name: 'Device',
  description: 'A device of a user, to which CIBA delivers its challenge',
  attributes: [
    str('serialNumber', {
      required: true,
      caseExact: true,
      uniqueness: 'server',
      description: 'The DSN, unique in the tenant',
    }),
    str('type', { required: true }),
    str('status', {
      canonicalValues: ['ACTIVE', 'SUSPENDED', 'REVOKED'],
      description: 'ACTIVE when not given; cannot be removed',
    }),
    complex(
      'owner',
      [
        str('value', { caseExact: true, description: 'The owning user id' }),
        str('userName', {
          description: 'The owning userName; may name the owner instead of value',
        }),
        attr('$ref', 'reference', ro({ referenceTypes: ['User'] })),
      ],
      { description: 'Set or replaced as a whole' },
    ),
  ],
};

/** Organizations: written through SCIM (`devices:write`) or bulk import (API.md §7). */
const ORGANIZATION: SchemaDefinition = {
  id: ORGANIZATION_SCHEMA,
  name: 'Organization',
  description: 'An organization; organizations form a tree through parent',
  attributes: [
    str('name', { required: true }),
    complex(
      'parent',
      [
        str('value', { caseExact: true, description: 'The parent organization id' }),
        str('externalId', {
          caseExact: true,
          description: "The parent's externalId; may name the parent instead of value",
        }),
        attr('$ref', 'reference', ro({ referenceTypes: ['Organization'] })),
      ],
      { description: 'Set or replaced as a whole; never the organization or a descendant' },
    ),
  ],
};

/**
 * Our limits in /ServiceProviderConfig: RFC 7643 §5 fixes the members of `filter`, so the
 * ones it does not name live under this extension.
 */
export const SPC_LIMITS_SCHEMA = 'urn:hid:scim:api:idp:2.0:extension:ServiceProviderConfig';

const SPC_LIMITS: SchemaDefinition = {
  id: SPC_LIMITS_SCHEMA,
  name: 'ServiceProviderConfigLimits',
  description: 'Limits of this service beyond those RFC 7643 §5 names',
  attributes: [
    complex(
      'filter',
      [
        attr('maxLength', 'integer', ro({ description: 'Longest filter, in characters' })),
        attr('maxDepth', 'integer', ro({ description: 'Deepest nesting of groups' })),
        attr('maxComparisons', 'integer', ro({ description: 'Most comparisons in one filter' })),
      ],
      ro(),
    ),
  ],
};

/** Every schema the service speaks; features add theirs here. */
export const SCHEMAS: SchemaDefinition[] = [
  USER_SCHEMA_DEFINITION,
  AUDIT_RECORD,
  DEVICE,
  ORGANIZATION,
  SPC_LIMITS,
];

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
    description: 'Devices of users',
    schema: DEVICE_SCHEMA,
  },
  {
    id: 'Organization',
    name: 'Organization',
    endpoint: '/Organizations',
    description: 'Organizations, a tree by parent',
    schema: ORGANIZATION_SCHEMA,
  },
];
