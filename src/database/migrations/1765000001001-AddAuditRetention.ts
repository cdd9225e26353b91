import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Retention of the trail (docs/retention.md): a tenant's own period, in days, overriding
 * AUDIT_RETENTION_DAYS (null: the global setting; the global one unset: keep forever), and
 * an index on the records that say what retention dropped, which `.verify` reads first.
 */
export class AddAuditRetention1765000001001 implements MigrationInterface {
  name = 'AddAuditRetention1765000001001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE tenants ADD COLUMN audit_retention_days integer CHECK (audit_retention_days > 0)`,
    );
    await q.query(
      `CREATE INDEX audit_records_tenant_purges ON audit_records (tenant_id, created)
         WHERE action_name = 'purgeAuditRecords'`,
    );
    // Each partition's copy of the new index is named after it, as the others are.
    await q.query(
      `SELECT audit_records_prepare_partition(format('%I', name)::regclass,
                                              substring(name from 'audit_records_(.*)$'))
         FROM audit_record_partitions()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX audit_records_tenant_purges`);
    await q.query(`ALTER TABLE tenants DROP COLUMN audit_retention_days`);
  }
}
