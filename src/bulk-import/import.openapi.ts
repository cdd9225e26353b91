import { getSchemaPath } from '@nestjs/swagger';
import { UserDto } from '../users/user.dto';

/** OpenAPI bodies of the import routes (the handlers read them as plain JSON). */
const str = { type: 'string' } as const;

export const USER_IMPORT_BODY = {
  type: 'object',
  required: ['users'],
  properties: {
    users: {
      type: 'array',
      description:
        'SCIM users; `schemas` may be left out, and a user without `userName` takes its `externalId`, else its first email',
      items: { $ref: getSchemaPath(UserDto) },
    },
    group: { type: 'object', properties: { value: str }, description: 'Group every user joins' },
  },
};

export const DEVICE_IMPORT_BODY = {
  type: 'object',
  required: ['devices'],
  properties: {
    devices: {
      type: 'array',
      items: {
        type: 'object',
        required: ['serialNumber', 'type'],
        properties: {
          serialNumber: str,
          type: str,
          status: { type: 'string', enum: ['ACTIVE', 'SUSPENDED', 'REVOKED'], default: 'ACTIVE' },
          externalId: str,
          owner: {
            type: 'object',
            description: '`value` (user id) or `userName`',
            properties: { value: str, userName: str },
          },
        },
      },
    },
  },
};

export const ORGANIZATION_IMPORT_BODY = {
  type: 'object',
  required: ['organizations'],
  properties: {
    organizations: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name'],
        properties: {
          name: str,
          externalId: str,
          parent: {
            type: 'object',
            description: '`value` (organization id) or `externalId` (possibly an earlier item)',
            properties: { value: str, externalId: str },
          },
        },
      },
    },
  },
};

export const IMPORT_CREATED = {
  description: 'Accepted: the job runs in the background; its status is at `Location`',
  schema: {
    type: 'object',
    properties: {
      schemas: { type: 'array', items: str },
      meta: {
        type: 'object',
        properties: { resourceType: str, location: str, version: str },
      },
      correlationId: { type: 'string', description: 'The COI of the import' },
    },
  },
};
