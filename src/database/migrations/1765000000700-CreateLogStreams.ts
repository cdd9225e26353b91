import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Log streams: HTTP sinks that receive a tenant's audit records in order, at least once.
 * A stream's checkpoint is the (created, id) of the last record it delivered (at first the
 * moment the stream was created), advanced in the transaction that writes the delivery's
 * bookkeeping. The lease (owner and expiry) makes
 * one instance at a time deliver a stream without holding a transaction open across the
 * HTTP call. The signing secret is kept as given to the receiver (it must sign with it), so
 * it is never selected by the routes that read a stream.
 *
 * The existing admin clients get the new `streams:write` scope; the bootstrap gives it to
 * new ones.
 */
export class CreateLogStreams1765000000700 implements MigrationInterface {
  name = 'CreateLogStreams1765000000700';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE log_streams (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL REFERENCES tenants(id),
        name text NOT NULL,
        url text NOT NULL,
        filter text,
        batch_size integer NOT NULL CHECK (batch_size BETWEEN 1 AND 1000),
        secret text NOT NULL,
        status text NOT NULL CHECK (status IN ('active', 'paused')),
        paused_reason text,
        checkpoint_created timestamptz(3) NOT NULL DEFAULT date_trunc('milliseconds', now()),
        checkpoint_id uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
        delivered_count bigint NOT NULL DEFAULT 0,
        failures integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz(3) NOT NULL DEFAULT date_trunc('milliseconds', now()),
        lease_owner text,
        lease_until timestamptz(3),
        last_error text,
        last_error_at timestamptz(3),
        last_delivery_at timestamptz(3),
        version integer NOT NULL DEFAULT 1,
        created timestamptz(3) NOT NULL DEFAULT date_trunc('milliseconds', now()),
        last_modified timestamptz(3) NOT NULL DEFAULT date_trunc('milliseconds', now())
      )`);
    await q.query(
      `CREATE INDEX log_streams_tenant_created ON log_streams (tenant_id, created, id)`,
    );
    await q.query(
      `CREATE INDEX log_streams_due ON log_streams (next_attempt_at) WHERE status = 'active'`,
    );
    await q.query(`
      UPDATE clients SET scopes = array_append(scopes, 'streams:write')
      WHERE client_id = tenant_id || '-admin' AND NOT ('streams:write' = ANY (scopes))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE clients SET scopes = array_remove(scopes, 'streams:write')`);
    await q.query('DROP TABLE log_streams');
  }
}
