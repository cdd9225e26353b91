import { MAX_FILTER_LENGTH } from '../scim/filter';
import { MAX_BATCH_SIZE } from './log-stream-input';
import { LOG_STREAM_SCHEMA } from './log-stream.mapper';

const time = { type: 'string', format: 'date-time' } as const;

/** A create or PATCH body: a create needs `url`; PATCH changes what it names. */
export const LOG_STREAM_INPUT_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    url: {
      type: 'string',
      maxLength: 2048,
      description: 'https URL of the receiver (http only to a loopback address); no credentials',
      example: 'https://siem.example.com/hooks/audit',
    },
    name: { type: 'string', maxLength: 128 },
    filter: {
      type: 'string',
      nullable: true,
      maxLength: MAX_FILTER_LENGTH,
      description: 'SCIM filter over AuditRecords, as in a search; only matching records are sent',
      example: 'action.actionName sw "create"',
    },
    batchSize: { type: 'integer', minimum: 1, maximum: MAX_BATCH_SIZE, default: 100 },
    status: { type: 'string', enum: ['active', 'paused'], description: 'PATCH only' },
  },
};

/** The LogStream resource (docs/log-streams.md). */
export const LOG_STREAM_SCHEMA_REF = {
  type: 'object',
  properties: {
    schemas: { type: 'array', items: { type: 'string', example: LOG_STREAM_SCHEMA } },
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    url: { type: 'string' },
    filter: { type: 'string' },
    batchSize: { type: 'integer' },
    status: { type: 'string', enum: ['active', 'paused'] },
    secret: {
      type: 'string',
      description: 'HMAC-SHA256 signing secret; only in the answer to the creation',
    },
    state: {
      type: 'object',
      properties: {
        pausedReason: { type: 'string', enum: ['requested', 'failures'] },
        checkpoint: {
          type: 'object',
          description: 'The last record delivered (at first, the moment the stream was created)',
          properties: { created: time, id: { type: 'string', format: 'uuid' } },
        },
        delivered: { type: 'integer', description: 'Records delivered so far' },
        lagRecords: { type: 'integer', description: 'Matching records not yet delivered' },
        lagSeconds: { type: 'integer', description: 'Age of the oldest of them' },
        failures: { type: 'integer', description: 'Failed deliveries in a row' },
        lastError: { type: 'string' },
        lastErrorAt: time,
        lastDeliveryAt: time,
        nextAttemptAt: time,
      },
    },
    meta: {
      type: 'object',
      properties: {
        resourceType: { type: 'string' },
        created: time,
        lastModified: time,
        version: { type: 'string' },
        location: { type: 'string' },
      },
    },
  },
};
