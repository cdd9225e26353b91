import { MigrationInterface, QueryRunner } from 'typeorm';

/** Devices (CIBA delivers to a user's active one) and organizations (a tree by `parent`). */
export class CreateDevicesAndOrganizations1763800000001 implements MigrationInterface {
  name = 'CreateDevicesAndOrganizations1763800000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE organizations (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL REFERENCES tenants(id),
        name text NOT NULL,
        external_id text,
        parent_id uuid REFERENCES organizations(id),
        version integer NOT NULL DEFAULT 1,
        created timestamptz(3) NOT NULL DEFAULT date_trunc('milliseconds', now()),
        last_modified timestamptz(3) NOT NULL DEFAULT date_trunc('milliseconds', now())
      )`);
    await q.query(
      `CREATE UNIQUE INDEX organizations_tenant_external_id ON organizations (tenant_id, external_id) WHERE external_id IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX organizations_tenant_created ON organizations (tenant_id, created, id)`,
    );
    await q.query(`
      CREATE TABLE devices (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL REFERENCES tenants(id),
        serial_number text NOT NULL,
        type text NOT NULL,
        status text NOT NULL CHECK (status IN ('ACTIVE', 'SUSPENDED', 'REVOKED')),
        owner_id uuid REFERENCES users(id) ON DELETE SET NULL,
        external_id text,
        version integer NOT NULL DEFAULT 1,
        created timestamptz(3) NOT NULL DEFAULT date_trunc('milliseconds', now()),
        last_modified timestamptz(3) NOT NULL DEFAULT date_trunc('milliseconds', now())
      )`);
    await q.query(
      `CREATE UNIQUE INDEX devices_tenant_serial ON devices (tenant_id, serial_number)`,
    );
    await q.query(
      `CREATE INDEX devices_tenant_owner ON devices (tenant_id, owner_id) WHERE owner_id IS NOT NULL`,
    );
    await q.query(`CREATE INDEX devices_tenant_created ON devices (tenant_id, created, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE devices');
    await q.query('DROP TABLE organizations');
  }
}
