import { Inject, Injectable } from '@nestjs/common';
import { auditRecordJsonSql } from '../audit/audit-record';
import { AUDIT_FILTER_SCHEMA } from '../audit/audit.filter-schema';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database } from '../database/database';
import { compileScimFilter, parseScimFilter, SqlParams } from '../scim/filter';
import { isUuid } from '../common/uuid';
import {
  isoSql,
  LeasedStream,
  LOG_STREAM_COLUMNS,
  LogStreamRow,
  LogStreamStatus,
  StreamLag,
} from './log-stream-row';

export interface NewLogStream {
  id: string;
  tenant: string;
  name: string;
  url: string;
  filter: string | null;
  batchSize: number;
  secret: string;
}

export interface LogStreamChanges {
  name: string;
  url: string;
  filter: string | null;
  batchSize: number;
  status: LogStreamStatus;
}

/** A stream found due by the cross-tenant poll: its tenant and id, its key. */
export interface DueStream {
  tenant_id: string;
  id: string;
}

/** One record on its way to a receiver: its place in the order and its API JSON. */
export interface StreamRecord {
  id: string;
  created: string;
  resource: string;
}

/**
 * The `log_streams` table and the reads of the trail the deliverer makes. Writes run in
 * the caller's transaction (`Database`). Only `lease` and the deliverer's reads ever select
 * the secret.
 */
@Injectable()
export class LogStreamsRepository {
  private readonly recordJson: string;

  constructor(
    private readonly db: Database,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.recordJson = auditRecordJsonSql(config.publicBaseUrl);
  }

  async insert(s: NewLogStream): Promise<LogStreamRow> {
    const [row] = await this.db.query<LogStreamRow>(
      `INSERT INTO log_streams (id, tenant_id, name, url, filter, batch_size, secret, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'active') RETURNING ${LOG_STREAM_COLUMNS}`,
      [s.id, s.tenant, s.name, s.url, s.filter, s.batchSize, s.secret],
    );
    return row;
  }

  async count(tenant: string): Promise<number> {
    const [{ n }] = await this.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM log_streams WHERE tenant_id = $1',
      [tenant],
    );
    return n;
  }

  async list(tenant: string): Promise<LogStreamRow[]> {
    return this.db.query<LogStreamRow>(
      `SELECT ${LOG_STREAM_COLUMNS} FROM log_streams WHERE tenant_id = $1 ORDER BY created, id`,
      [tenant],
    );
  }

  async find(tenant: string, id: string, lock = false): Promise<LogStreamRow | undefined> {
    if (!isUuid(id)) return undefined;
    const rows = await this.db.query<LogStreamRow>(
      `SELECT ${LOG_STREAM_COLUMNS} FROM log_streams WHERE tenant_id = $1 AND id = $2
       ${lock ? 'FOR UPDATE' : ''}`,
      [tenant, id],
    );
    return rows[0];
  }

  /** A resumed stream starts over with no failures and is due at once. */
  async update(tenant: string, id: string, c: LogStreamChanges): Promise<LogStreamRow> {
    const [row] = await this.db.query<LogStreamRow>(
      `UPDATE log_streams SET name = $3, url = $4, filter = $5, batch_size = $6,
         failures = CASE WHEN status = 'paused' AND $7 = 'active' THEN 0 ELSE failures END,
         next_attempt_at = CASE WHEN status = 'paused' AND $7 = 'active'
           THEN date_trunc('milliseconds', now()) ELSE next_attempt_at END,
         paused_reason = CASE WHEN $7 = 'active' THEN NULL
           WHEN status = 'active' THEN 'requested' ELSE paused_reason END,
         status = $7, version = version + 1,
         last_modified = date_trunc('milliseconds', now())
       WHERE tenant_id = $1 AND id = $2 RETURNING ${LOG_STREAM_COLUMNS}`,
      [tenant, id, c.name, c.url, c.filter, c.batchSize, c.status],
    );
    return row;
  }

  async delete(tenant: string, id: string): Promise<void> {
    await this.db.execute('DELETE FROM log_streams WHERE tenant_id = $1 AND id = $2', [tenant, id]);
  }

  /** Matching records after the checkpoint and the age of the oldest of them. */
  async lag(
    row: Pick<LogStreamRow, 'tenant_id' | 'filter' | 'checkpoint_created' | 'checkpoint_id'>,
  ): Promise<StreamLag> {
    const params = new SqlParams(4);
    const filter = compileFilter(row.filter, params);
    const [lag] = await this.db.query<{ records: number; seconds: number | null }>(
      `SELECT count(*)::int AS records,
         COALESCE(EXTRACT(EPOCH FROM now() - min(r.created)), 0)::float8 AS seconds
       FROM audit_records r
       WHERE r.tenant_id = $1 AND (r.created, r.id) > ($2::timestamptz, $3::uuid) ${filter}`,
      [row.tenant_id, row.checkpoint_created, row.checkpoint_id, ...params.values],
    );
    return { records: lag.records, seconds: Math.max(0, Math.round(lag.seconds ?? 0)) };
  }

  /**
   * Streams of every tenant that may be delivered now by whoever takes their lease, each
   * with its tenant, so every later statement on the stream names it. The one statement on
   * streams across tenants (run behind the deliverer's acrossTenants door), served in due
   * order by `log_streams_due`.
   */
  async due(limit: number): Promise<DueStream[]> {
    return this.db.query<DueStream>(
      `SELECT tenant_id, id FROM log_streams
       WHERE status = 'active' AND next_attempt_at <= now()
         AND (lease_until IS NULL OR lease_until < now())
       ORDER BY next_attempt_at LIMIT $1`,
      [limit],
    );
  }

  /**
   * Takes the stream's lease for `seconds` (one statement, committed at once), so no other
   * instance delivers it meanwhile; undefined when it is not due or someone else holds it.
   */
  async lease(
    stream: DueStream,
    owner: string,
    seconds: number,
  ): Promise<LeasedStream | undefined> {
    const rows = await this.db.query<LeasedStream>(
      `UPDATE log_streams SET lease_owner = $3,
         lease_until = now() + make_interval(secs => $4)
       WHERE tenant_id = $1 AND id = $2 AND status = 'active' AND next_attempt_at <= now()
         AND (lease_until IS NULL OR lease_until < now() OR lease_owner = $3)
       RETURNING id, tenant_id, url, filter, batch_size, secret, failures,
         ${isoSql('checkpoint_created')} AS checkpoint_created, checkpoint_id`,
      [stream.tenant_id, stream.id, owner, seconds],
    );
    return rows[0];
  }

  /**
   * The instant before which every record is committed: the start of the oldest
   * transaction still open in this database (a record's `created` is its transaction's
   * start), less a margin for a transaction that has begun but not yet shown itself. Read in
   * its own statement, before the records, so every transaction older than it has ended by
   * the time the records are read.
   */
  async horizon(): Promise<string> {
    const [{ horizon }] = await this.db.query<{ horizon: string }>(
      `SELECT ${isoSql(
        `date_trunc('milliseconds', LEAST(COALESCE(min(xact_start), now()), now())
           - interval '250 milliseconds')`,
      )} AS horizon
       FROM pg_stat_activity
       WHERE datname = current_database() AND backend_type = 'client backend'
         AND xact_start IS NOT NULL AND pid <> pg_backend_pid()`,
    );
    return horizon;
  }

  /** The next records of a stream after its checkpoint, up to the horizon, in order. */
  async nextRecords(s: LeasedStream, horizon: string): Promise<StreamRecord[]> {
    const params = new SqlParams(6);
    const filter = compileFilter(s.filter, params);
    return this.db.query<StreamRecord>(
      `SELECT r.id, ${isoSql('r.created')} AS created, ${this.recordJson} AS resource
       FROM audit_records r
       WHERE r.tenant_id = $1 AND (r.created, r.id) > ($2::timestamptz, $3::uuid)
         AND r.created < $4::timestamptz ${filter}
       ORDER BY r.created, r.id LIMIT $5`,
      [s.tenant_id, s.checkpoint_created, s.checkpoint_id, horizon, s.batch_size, ...params.values],
    );
  }

  /**
   * After a delivery the receiver acknowledged: the checkpoint moves to its last record and
   * the lease is given back. False when the lease was lost (the stream was deleted, or
   * taken over after the lease ran out).
   */
  async delivered(
    s: LeasedStream,
    owner: string,
    last: StreamRecord | undefined,
    count: number,
  ): Promise<boolean> {
    const n = await this.db.execute(
      `UPDATE log_streams SET
         checkpoint_created = COALESCE($4::timestamptz, checkpoint_created),
         checkpoint_id = COALESCE($5::uuid, checkpoint_id),
         delivered_count = delivered_count + $6, failures = 0,
         last_delivery_at = CASE WHEN $6 > 0 THEN date_trunc('milliseconds', now())
           ELSE last_delivery_at END,
         lease_owner = NULL, lease_until = NULL
       WHERE tenant_id = $1 AND id = $2 AND lease_owner = $3`,
      [s.tenant_id, s.id, owner, last?.created ?? null, last?.id ?? null, count],
    );
    return n > 0;
  }

  /**
   * After a failed delivery: one more failure, the next attempt after `retryMs`, and a
   * pause once `pauseAfter` failures follow each other. Answers the stream's new status, or
   * undefined when the lease was lost.
   */
  async failed(
    s: LeasedStream,
    owner: string,
    error: string,
    retryMs: number,
    pauseAfter: number,
  ): Promise<{ status: LogStreamStatus; failures: number } | undefined> {
    const rows = await this.db.query<{ status: LogStreamStatus; failures: number }>(
      `UPDATE log_streams SET failures = failures + 1, last_error = $4,
         last_error_at = date_trunc('milliseconds', now()),
         next_attempt_at = date_trunc('milliseconds', now()) + make_interval(secs => $5),
         status = CASE WHEN failures + 1 >= $6 THEN 'paused' ELSE status END,
         paused_reason = CASE WHEN failures + 1 >= $6 THEN 'failures' ELSE paused_reason END,
         lease_owner = NULL, lease_until = NULL
       WHERE tenant_id = $1 AND id = $2 AND lease_owner = $3 RETURNING status, failures`,
      [s.tenant_id, s.id, owner, error, retryMs / 1000, pauseAfter],
    );
    return rows[0];
  }

  /** Every stream of every tenant, for the lag gauges. */
  async allStreams(): Promise<LogStreamRow[]> {
    return this.db.query<LogStreamRow>(
      `SELECT ${LOG_STREAM_COLUMNS} FROM log_streams ORDER BY tenant_id, created LIMIT 1000`,
    );
  }
}

/** ` AND (<filter>)`, or nothing; the filter was validated when the stream was saved. */
function compileFilter(filter: string | null, params: SqlParams): string {
  if (!filter) return '';
  return `AND (${compileScimFilter(parseScimFilter(filter), AUDIT_FILTER_SCHEMA, params)})`;
}
