import { MigrationInterface, QueryRunner } from 'typeorm';

/** Tables whose rows are addressed by (tenant, id): their primary key becomes that pair. */
const BY_TENANT_AND_ID = [
  'users',
  'clients',
  'organizations',
  'devices',
  'ciba_requests',
  'audit_records',
];

/**
 * `tenant_id` leads every primary key and index of the tenant tables, and every foreign key
 * between them carries it, so no row can point at another tenant's row and the schema can
 * be distributed by tenant (Citus `create_distributed_table(..., 'tenant_id')` needs the
 * distribution column in every primary key, unique constraint and foreign key).
 *
 * Safe on existing data: each (tenant_id, id) is unique because each id was, and each
 * existing reference already points within its tenant (every write path looks the target up
 * in the writer's tenant), so the new keys and constraints validate. The tables are locked
 * while their keys are rebuilt (one index build each). Foreign keys that cleared a
 * reference on delete clear only the referencing column (`SET NULL (column)`), never the
 * tenant. test/e2e/schema-tenancy.e2e-spec.ts keeps these rules.
 */
export class LeadKeysWithTenant1765000000800 implements MigrationInterface {
  name = 'LeadKeysWithTenant1765000000800';

  async up(q: QueryRunner): Promise<void> {
    // The single-column references go first: they depend on the keys being replaced.
    await q.query(`ALTER TABLE clients DROP CONSTRAINT clients_service_user_id_fkey`);
    await q.query(`ALTER TABLE devices DROP CONSTRAINT devices_owner_id_fkey`);
    await q.query(`ALTER TABLE organizations DROP CONSTRAINT organizations_parent_id_fkey`);
    await q.query(
      `ALTER TABLE ciba_requests DROP CONSTRAINT ciba_requests_user_id_fkey,
         DROP CONSTRAINT ciba_requests_device_id_fkey`,
    );
    for (const table of BY_TENANT_AND_ID) {
      await q.query(
        `ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey, ADD PRIMARY KEY (tenant_id, id)`,
      );
    }
    await q.query(
      `ALTER TABLE clients ADD CONSTRAINT clients_service_user_fkey
         FOREIGN KEY (tenant_id, service_user_id) REFERENCES users (tenant_id, id)`,
    );
    await q.query(
      `ALTER TABLE devices ADD CONSTRAINT devices_owner_fkey
         FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id)
         ON DELETE SET NULL (owner_id)`,
    );
    await q.query(
      `ALTER TABLE organizations ADD CONSTRAINT organizations_parent_fkey
         FOREIGN KEY (tenant_id, parent_id) REFERENCES organizations (tenant_id, id)`,
    );
    await q.query(
      `ALTER TABLE ciba_requests
         ADD CONSTRAINT ciba_requests_user_fkey
           FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
         ADD CONSTRAINT ciba_requests_device_fkey
           FOREIGN KEY (tenant_id, device_id) REFERENCES devices (tenant_id, id)
           ON DELETE SET NULL (device_id)`,
    );
    // A request id is searched within a tenant, like every other attribute.
    await q.query(`DROP INDEX audit_records_request_id`);
    await q.query(
      `CREATE INDEX audit_records_tenant_request_id ON audit_records (tenant_id, (request_id::text))`,
    );
    await q.query(`DROP INDEX ciba_requests_open_expiry`);
    await q.query(
      `CREATE INDEX ciba_requests_tenant_open_expiry ON ciba_requests (tenant_id, expires_at)
         WHERE status IN ('pending', 'approved')`,
    );
  }

  async down(): Promise<void> {
    throw new Error('Keys led by tenant_id are not taken back; restore from a backup instead.');
  }
}
