import { SchemaObject } from '@nestjs/swagger';

const identity: SchemaObject = {
  type: 'object',
  properties: { id: { type: 'string' }, immutableId: { type: 'string' } },
};

/** The AuditRecord resource (API.md §4), with the typed correlation attributes. */
export const AUDIT_RECORD_COMPONENT: SchemaObject = {
  type: 'object',
  required: ['schemas', 'id', 'tenantId', 'requestId', 'action', 'result', 'created', 'hash'],
  properties: {
    schemas: {
      type: 'array',
      items: { type: 'string', example: 'urn:hid:scim:api:idp:2.0:AuditRecord' },
    },
    id: { type: 'string', format: 'uuid' },
    tenantId: { type: 'string' },
    correlationId: {
      type: 'string',
      description: 'The X-Correlation-ID of the call; absent when none was sent',
    },
    requestId: {
      type: 'string',
      format: 'uuid',
      description: 'Server-made id of the request (UUIDv7)',
    },
    coi: {
      type: 'string',
      description: 'Id of the long-running operation (import, CIBA); absent when none',
    },
    service: { type: 'object', properties: { id: { type: 'string' }, host: { type: 'string' } } },
    action: {
      type: 'object',
      properties: {
        actionName: { type: 'string' },
        actionParameters: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
    result: { type: 'string', enum: ['RESPONSE_SUCCESS', 'RESPONSE_FAILURE'] },
    message: { type: 'string', nullable: true },
    return_value: {
      type: 'object',
      properties: { status: { type: 'string' }, error: { type: 'string' } },
    },
    actingUserId: {
      type: 'object',
      properties: {
        ...identity.properties,
        session: {
          type: 'object',
          properties: { id: { type: 'string' }, authenticationMethod: { type: 'string' } },
        },
      },
    },
    targetUserId: identity,
    changes: {
      type: 'array',
      description:
        'What the change moved, computed from the stored state before and after it (success ' +
        'records of changes only). Secrets show `valueOmitted: true` and no value; values ' +
        'longer than 256 characters are cut and end with "…", with `truncated: true`.',
      items: {
        type: 'object',
        required: ['attribute', 'op'],
        properties: {
          attribute: { type: 'string', example: 'emails[type eq "work"].value' },
          op: { type: 'string', enum: ['add', 'replace', 'remove'] },
          before: {
            type: 'string',
            description:
              'The value before, as text: a string as is, any other value as its JSON text ' +
              '(`true` gives "true", an object its JSON); absent for add',
            example: 'true',
          },
          after: {
            type: 'string',
            description: 'The value after, as text like `before`; absent for remove',
            example: 'false',
          },
          valueOmitted: { type: 'boolean' },
          truncated: { type: 'boolean' },
        },
      },
    },
    unchanged: {
      type: 'boolean',
      description: 'Present, and true, when the change changed nothing (`changes` is empty)',
    },
    client: {
      type: 'object',
      description:
        'Who called: address (per TRUST_PROXY) and user agent; `fromRequest` on records of ' +
        'background work, which carry the client of the request that started it',
      properties: {
        ipAddress: { type: 'string' },
        userAgent: { type: 'string' },
        fromRequest: { type: 'boolean' },
      },
    },
    traceId: {
      type: 'string',
      description: 'The W3C trace id of the `traceparent` the call came with; absent when none',
    },
    created: { type: 'string', format: 'date-time' },
    hash: {
      type: 'string',
      description: 'SHA-256 (hex) of the canonical content, computed when written',
    },
    seal: {
      type: 'object',
      description:
        'On GET /AuditRecords/{id} once the record is sealed: its seal and its RFC 6962 inclusion proof (docs/audit-integrity.md)',
      properties: {
        id: { type: 'string' },
        seq: { type: 'integer' },
        root: { type: 'string', description: "Merkle root (hex) over the sealed records' hashes" },
        index: { type: 'integer', description: "The record's leaf index in the seal" },
        count: { type: 'integer', description: 'Records in the seal' },
        proof: {
          type: 'array',
          items: { type: 'string' },
          description: 'Audit path, hex, bottom up',
        },
      },
    },
    meta: {
      type: 'object',
      properties: {
        resourceType: { type: 'string' },
        created: { type: 'string', format: 'date-time' },
        location: { type: 'string' },
      },
    },
  },
};
