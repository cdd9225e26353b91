/** A log stream as stored (`log_streams`), times as ISO text; the secret is never selected here. */
export interface LogStreamRow {
  id: string;
  tenant_id: string;
  name: string;
  url: string;
  filter: string | null;
  batch_size: number;
  status: LogStreamStatus;
  paused_reason: string | null;
  checkpoint_created: string;
  checkpoint_id: string;
  delivered_count: string;
  failures: number;
  next_attempt_at: string;
  last_error: string | null;
  last_error_at: string | null;
  last_delivery_at: string | null;
  version: number;
  created: string;
  last_modified: string;
}

export type LogStreamStatus = 'active' | 'paused';

/** What the deliverer needs of a stream it holds the lease of (the secret included). */
export interface LeasedStream {
  id: string;
  tenant_id: string;
  url: string;
  filter: string | null;
  batch_size: number;
  secret: string;
  failures: number;
  checkpoint_created: string;
  checkpoint_id: string;
}

/** A stream's backlog: matching records after its checkpoint, and the age of the oldest. */
export interface StreamLag {
  records: number;
  seconds: number;
}

const iso = (column: string) =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

export { iso as isoSql };

/** The columns of a LogStreamRow (never `secret`, `lease_owner` or `lease_until`). */
export const LOG_STREAM_COLUMNS = `id, tenant_id, name, url, filter, batch_size, status,
  paused_reason, ${iso('checkpoint_created')} AS checkpoint_created, checkpoint_id,
  delivered_count, failures, ${iso('next_attempt_at')} AS next_attempt_at, last_error,
  ${iso('last_error_at')} AS last_error_at, ${iso('last_delivery_at')} AS last_delivery_at,
  version, ${iso('created')} AS created, ${iso('last_modified')} AS last_modified`;
