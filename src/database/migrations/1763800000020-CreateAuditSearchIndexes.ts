import { randomBytes } from 'node:crypto';
import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for audit search, and the key that signs search cursors.
 *
 * The correlation id and COI indexes end in (created, id), the default order, so a search for
 * one id reads its page straight off the index, keyset cursors continue from any depth at the
 * cost of the first page, and totalResults is an index-only count. `requestId` is compared as
 * text by the filter engine, hence the expression index; `targetUserId.id` (a user's history)
 * matches few rows, so tenant and user suffice. See docs/performance.md for sizes.
 *
 * Cursors are HMAC-signed with a key kept in the database, so every instance accepts the
 * cursors of every other one and a restart invalidates none.
 */
export class CreateAuditSearchIndexes1763800000020 implements MigrationInterface {
  name = 'CreateAuditSearchIndexes1763800000020';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX audit_records_tenant_correlation`);
    await q.query(
      `CREATE INDEX audit_records_tenant_correlation_created ON audit_records (tenant_id, correlation_id, created, id) WHERE correlation_id IS NOT NULL`,
    );
    await q.query(`DROP INDEX audit_records_tenant_coi`);
    await q.query(
      `CREATE INDEX audit_records_tenant_coi_created ON audit_records (tenant_id, coi, created, id) WHERE coi IS NOT NULL`,
    );
    await q.query(`CREATE INDEX audit_records_request_id ON audit_records ((request_id::text))`);
    await q.query(
      `CREATE INDEX audit_records_tenant_target ON audit_records (tenant_id, target_user_id) WHERE target_user_id IS NOT NULL`,
    );
    // Imports make a few correlation ids and COIs match thousands of records among millions
    // that match three; a larger sample lets the planner see them and walk the index in order
    // for a page instead of fetching every match and sorting.
    await q.query(
      `ALTER TABLE audit_records ALTER COLUMN correlation_id SET STATISTICS 1000, ALTER COLUMN coi SET STATISTICS 1000`,
    );
    await q.query(`
      CREATE TABLE search_cursor_keys (
        id smallint PRIMARY KEY,
        secret bytea NOT NULL,
        created timestamptz(3) NOT NULL DEFAULT date_trunc('milliseconds', now())
      )`);
    await q.query(`INSERT INTO search_cursor_keys (id, secret) VALUES (1, $1)`, [randomBytes(32)]);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE search_cursor_keys`);
    await q.query(
      `ALTER TABLE audit_records ALTER COLUMN correlation_id SET STATISTICS -1, ALTER COLUMN coi SET STATISTICS -1`,
    );
    await q.query(`DROP INDEX audit_records_tenant_target`);
    await q.query(`DROP INDEX audit_records_request_id`);
    await q.query(`DROP INDEX audit_records_tenant_coi_created`);
    await q.query(
      `CREATE INDEX audit_records_tenant_coi ON audit_records (tenant_id, coi) WHERE coi IS NOT NULL`,
    );
    await q.query(`DROP INDEX audit_records_tenant_correlation_created`);
    await q.query(
      `CREATE INDEX audit_records_tenant_correlation ON audit_records (tenant_id, correlation_id) WHERE correlation_id IS NOT NULL`,
    );
  }
}
