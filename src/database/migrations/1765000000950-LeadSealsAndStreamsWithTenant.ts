import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The two tables that landed beside LeadKeysWithTenant get its rule: their primary keys
 * become (tenant_id, id), so the schema stays ready to distribute by tenant (Citus needs the
 * distribution column in every primary key) and every statement that addresses a seal or a
 * stream by id names its tenant and is served by the key.
 *
 * Safe on existing data: each (tenant_id, id) is unique because each id was, and nothing
 * references either key. Only the key's index is rebuilt; no row is touched, so the
 * append-only triggers of `audit_seals` (which refuse updates and deletes) do not fire.
 *
 * `log_streams_due` keeps leading with `next_attempt_at`: it serves the deliverer's poll
 * of the due streams of every tenant, in due order. Led by tenant_id it could not give that
 * order, and the poll would read and sort every active stream. A non-unique index needs no
 * distribution column (each shard keeps its own), so it is a listed exception in
 * test/e2e/schema-tenancy.e2e-spec.ts rather than a debt.
 */
export class LeadSealsAndStreamsWithTenant1765000000950 implements MigrationInterface {
  name = 'LeadSealsAndStreamsWithTenant1765000000950';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['audit_seals', 'log_streams']) {
      await q.query(
        `ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey, ADD PRIMARY KEY (tenant_id, id)`,
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['audit_seals', 'log_streams']) {
      await q.query(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey, ADD PRIMARY KEY (id)`);
    }
  }
}
