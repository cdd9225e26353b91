import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The trail's integrity (docs/audit-integrity.md): every record gets the id of the
 * transaction that wrote it (`xact_id`, forced by the insert trigger: the sealer's commit
 * order) and the service's keyed MAC (`mac`, `mac_key_id`). A record written by the service
 * brings its own `created` and `hash`, both covered by its MAC; the trigger still stamps and
 * hashes a record that comes without a MAC, which the verifier then reports.
 *
 * Records written before this migration keep `xact_id` 0 and no MAC: they are sealed first.
 *
 * `audit_seals` is append-only like the records: one row per seal, chained per tenant.
 */
export class SealAuditTrail1765000000100 implements MigrationInterface {
  name = 'SealAuditTrail1765000000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE audit_records
        ADD COLUMN xact_id xid8 NOT NULL DEFAULT '0'::xid8,
        ADD COLUMN mac text,
        ADD COLUMN mac_key_id text`);
    await q.query(
      `CREATE INDEX audit_records_tenant_commit_order ON audit_records (tenant_id, xact_id, id)`,
    );
    await q.query(`
      CREATE OR REPLACE FUNCTION audit_records_before_insert() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.mac IS NULL THEN
          NEW.created := date_trunc('milliseconds', now());
          NEW.hash := audit_record_hash(NEW);
        END IF;
        NEW.xact_id := pg_current_xact_id();
        RETURN NEW;
      END $$`);

    await q.query(`
      CREATE TABLE audit_seals (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        seq bigint NOT NULL,
        first_xact_id xid8 NOT NULL,
        first_record_id uuid NOT NULL,
        last_xact_id xid8 NOT NULL,
        last_record_id uuid NOT NULL,
        record_count integer NOT NULL CHECK (record_count > 0),
        previous_hash char(64),
        root char(64) NOT NULL,
        sealed timestamptz(3) NOT NULL,
        key_id text NOT NULL,
        signature text NOT NULL,
        UNIQUE (tenant_id, seq)
      )`);
    await q.query(
      `CREATE INDEX audit_seals_tenant_last ON audit_seals (tenant_id, last_xact_id, last_record_id)`,
    );
    await q.query(`
      CREATE TRIGGER audit_seals_no_update_delete BEFORE UPDATE OR DELETE ON audit_seals
      FOR EACH ROW EXECUTE FUNCTION audit_records_refuse_change()`);
    await q.query(`
      CREATE TRIGGER audit_seals_no_truncate BEFORE TRUNCATE ON audit_seals
      FOR EACH STATEMENT EXECUTE FUNCTION audit_records_refuse_change()`);
    await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON audit_seals FROM PUBLIC`);
    await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON audit_seals FROM CURRENT_USER`);
  }

  async down(): Promise<void> {
    throw new Error('The audit trail is append-only; this migration is not reversible.');
  }
}
