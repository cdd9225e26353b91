import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The sealing lag the operators' gauges read (`audit_unsealed_records`,
 * `audit_unsealed_oldest_seconds`): records of every tenant after its last seal, and the age
 * of the oldest. Runs as its caller, so under row-level security it counts what the caller's
 * scope shows (the metrics sampler reads it across tenants, by name).
 */
export class AddAuditSealingLag1765000000900 implements MigrationInterface {
  name = 'AddAuditSealingLag1765000000900';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION audit_sealing_lag(OUT records bigint, OUT oldest_seconds float8)
      LANGUAGE sql STABLE AS $$
        SELECT count(r.id)::bigint,
               COALESCE(EXTRACT(EPOCH FROM now() - min(r.created)), 0)::float8
        FROM tenants t
        LEFT JOIN LATERAL (
          SELECT s.last_xact_id, s.last_record_id FROM audit_seals s
          WHERE s.tenant_id = t.id ORDER BY s.seq DESC LIMIT 1
        ) last ON true
        JOIN audit_records r ON r.tenant_id = t.id
          AND (last.last_xact_id IS NULL
               OR (r.xact_id, r.id) > (last.last_xact_id, last.last_record_id))
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP FUNCTION IF EXISTS audit_sealing_lag()');
  }
}
