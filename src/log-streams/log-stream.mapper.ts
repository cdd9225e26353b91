import { LIST_RESPONSE_SCHEMA } from '../scim/scim-constants';
import { LogStreamRow, StreamLag } from './log-stream-row';

export const LOG_STREAM_SCHEMA = 'urn:hid:scim:api:idp:2.0:LogStream';

type Json = Record<string, unknown>;

/** A stream as the API shows it; `secret` only in the answer to its creation. */
export function toLogStreamResource(
  row: LogStreamRow,
  lag: StreamLag,
  publicBaseUrl: string,
  secret?: string,
): Json {
  return {
    schemas: [LOG_STREAM_SCHEMA],
    id: row.id,
    name: row.name,
    url: row.url,
    ...(row.filter ? { filter: row.filter } : {}),
    batchSize: row.batch_size,
    status: row.status,
    ...(secret ? { secret } : {}),
    state: {
      ...(row.paused_reason ? { pausedReason: row.paused_reason } : {}),
      checkpoint: { created: row.checkpoint_created, id: row.checkpoint_id },
      delivered: Number(row.delivered_count),
      lagRecords: lag.records,
      lagSeconds: lag.seconds,
      failures: row.failures,
      ...(row.last_error ? { lastError: row.last_error, lastErrorAt: row.last_error_at } : {}),
      ...(row.last_delivery_at ? { lastDeliveryAt: row.last_delivery_at } : {}),
      ...(row.status === 'active' && row.failures > 0
        ? { nextAttemptAt: row.next_attempt_at }
        : {}),
    },
    meta: {
      resourceType: 'LogStream',
      created: row.created,
      lastModified: row.last_modified,
      version: `W/"${row.version}"`,
      location: `${publicBaseUrl}/${row.tenant_id}/v2/LogStreams/${row.id}`,
    },
  };
}

export function logStreamList(resources: Json[], key: 'Resources' | 'resources'): Json {
  return {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults: resources.length,
    startIndex: 1,
    itemsPerPage: resources.length,
    [key]: resources,
  };
}
