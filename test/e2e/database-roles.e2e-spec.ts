import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { APPEND_ONLY_TABLES } from '../../src/database/service-role';
import { userBody } from '../factories/user';
import { recordsOfRequest } from '../utils/records';
import { ServiceProcess } from '../utils/service-process';
import { useTestApp } from '../utils/suite';
import { createTestApp, uniqueId } from '../utils/test-app';
import { TEST_DB_ENV, TEST_DB_OWNER_ENV, TEST_DB_SUPERUSER_ENV } from '../utils/test-database';

/** A function body that would hand the trail to whoever replaced it. */
const FORGED_BODY = `LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$`;

/**
 * Least privilege (docs/audit-integrity.md, "Database roles and row-level security"): with
 * the service's own database credentials, nothing can rewrite or hide the audit trail.
 */
describe('database roles', () => {
  const s = useTestApp({ tenants: 1 });
  let service: Client;
  let recordId: string;

  beforeAll(async () => {
    const res = await s.send({ method: 'POST', url: s.users, payload: userBody(uniqueId()) });
    recordId = (await recordsOfRequest(s.t, res))[0].id;
    service = new Client({ connectionString: process.env[TEST_DB_ENV] });
    await service.connect();
  });
  afterAll(() => service.end());

  it('the service role is no superuser, owns nothing and cannot create in the schema', async () => {
    const { rows } = await service.query(`
      SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolbypassrls,
             (SELECT count(*)::int FROM pg_class WHERE relowner = r.oid) AS relations,
             (SELECT count(*)::int FROM pg_proc WHERE proowner = r.oid) AS functions,
             (SELECT count(*)::int FROM pg_namespace WHERE nspowner = r.oid) AS schemas,
             has_schema_privilege('public', 'CREATE') AS create_public,
             has_schema_privilege('pgboss', 'CREATE') AS create_jobs
        FROM pg_roles r WHERE r.rolname = current_user`);
    expect(rows[0]).toEqual({
      rolsuper: false,
      rolcreaterole: false,
      rolcreatedb: false,
      rolbypassrls: false,
      relations: 0,
      functions: 0,
      schemas: 0,
      create_public: false,
      create_jobs: false,
    });
  });

  it('holds only SELECT and INSERT on every append-only table that exists', async () => {
    const { rows } = await service.query(
      `SELECT t AS table,
              has_table_privilege(t, 'SELECT') AS select, has_table_privilege(t, 'INSERT') AS insert,
              has_table_privilege(t, 'UPDATE') AS update, has_table_privilege(t, 'DELETE') AS delete,
              has_table_privilege(t, 'TRUNCATE') AS truncate,
              has_table_privilege(t, 'REFERENCES') AS references,
              has_table_privilege(t, 'TRIGGER') AS trigger
         FROM unnest($1::text[]) AS t WHERE to_regclass(t) IS NOT NULL`,
      [APPEND_ONLY_TABLES],
    );
    expect(rows.map((r) => r.table)).toContain('audit_records');
    for (const row of rows) {
      expect(row).toEqual({
        table: row.table,
        select: true,
        insert: true,
        update: false,
        delete: false,
        truncate: false,
        references: false,
        trigger: false,
      });
    }
  });

  it.each([
    [
      'disable the append-only trigger',
      'ALTER TABLE audit_records DISABLE TRIGGER audit_records_no_update_delete',
    ],
    ['disable every trigger', 'ALTER TABLE audit_records DISABLE TRIGGER ALL'],
    [
      'drop the append-only trigger',
      'DROP TRIGGER audit_records_no_update_delete ON audit_records',
    ],
    ['drop the truncate trigger', 'DROP TRIGGER audit_records_no_truncate ON audit_records'],
    ['drop the hashing trigger', 'DROP TRIGGER audit_records_stamp ON audit_records'],
    [
      'replace the hash function',
      `CREATE OR REPLACE FUNCTION audit_record_hash(r audit_records) RETURNS text LANGUAGE sql AS $$ SELECT 'forged' $$`,
    ],
    [
      'replace the stamping function',
      `CREATE OR REPLACE FUNCTION audit_records_before_insert() RETURNS trigger ${FORGED_BODY}`,
    ],
    [
      'replace the refusing function',
      `CREATE OR REPLACE FUNCTION audit_records_refuse_change() RETURNS trigger ${FORGED_BODY}`,
    ],
    ['drop the hash function', 'DROP FUNCTION audit_record_hash(audit_records) CASCADE'],
    ['alter the table', 'ALTER TABLE audit_records ADD COLUMN forged text'],
    ['rename the table', 'ALTER TABLE audit_records RENAME TO audit_records_old'],
    ['take the table over', 'ALTER TABLE audit_records OWNER TO CURRENT_USER'],
    ['drop the table', 'DROP TABLE audit_records'],
    ['truncate', 'TRUNCATE audit_records'],
    ['update a record', `UPDATE audit_records SET message = 'forged' WHERE id = $1`],
    ['delete a record', 'DELETE FROM audit_records WHERE id = $1'],
    ['turn off triggers for the session', 'SET session_replication_role = replica'],
    ['lift row-level security', 'ALTER TABLE audit_records NO FORCE ROW LEVEL SECURITY'],
    ['drop the tenant policy', 'DROP POLICY tenant_isolation ON users'],
    ['create a table beside the trail', 'CREATE TABLE shadow_records (id uuid)'],
    [
      'create a function beside the trail',
      `CREATE FUNCTION shadow() RETURNS trigger ${FORGED_BODY}`,
    ],
    ['change the job schema', 'ALTER TABLE pgboss.job ADD COLUMN forged text'],
  ])('refuses to %s', async (_what, sql) => {
    await expect(service.query(sql, sql.includes('$1') ? [recordId] : [])).rejects.toMatchObject({
      code: expect.stringMatching(/^42501$|^42809$/),
    });
  });

  it('grants nothing when it grants itself (or everyone) UPDATE, DELETE or TRUNCATE', async () => {
    // PostgreSQL answers a GRANT by a role without the grant option with a warning only.
    await service.query('GRANT UPDATE, DELETE, TRUNCATE ON audit_records TO CURRENT_USER');
    await service.query('GRANT UPDATE, DELETE, TRUNCATE ON audit_records TO PUBLIC');
    const { rows } = await service.query(`
      SELECT has_table_privilege('audit_records', 'UPDATE') AS update,
             has_table_privilege('audit_records', 'DELETE') AS delete,
             has_table_privilege('audit_records', 'TRUNCATE') AS truncate`);
    expect(rows[0]).toEqual({ update: false, delete: false, truncate: false });
    await expect(
      service.query(`UPDATE audit_records SET message = 'forged' WHERE id = $1`, [recordId]),
    ).rejects.toMatchObject({ code: '42501' });
  });

  it('leaves the record as it was written', async () => {
    // Read as a superuser: the service role sees no tenant's rows outside a tenant scope.
    const rows = await s.t.db.query(
      'SELECT message, hash = audit_record_hash(r) AS intact FROM audit_records r WHERE id = $1',
      [recordId],
    );
    expect(rows).toEqual([{ message: null, intact: true }]);
  });

  it('takes back, at the next start, a privilege granted by hand', async () => {
    const owner = new Client({ connectionString: process.env[TEST_DB_OWNER_ENV] });
    await owner.connect();
    const role = (await service.query('SELECT current_user AS name')).rows[0].name as string;
    try {
      await owner.query(`GRANT UPDATE ON audit_records TO "${role}"`);
      const restarted = await createTestApp();
      await restarted.close();
    } finally {
      await owner.end();
    }
    const { rows } = await service.query(
      `SELECT has_table_privilege('audit_records', 'UPDATE') AS update`,
    );
    expect(rows[0].update).toBe(false);
  });
});

describe('start-up with a role that could rewrite the trail', () => {
  const base = {
    NODE_ENV: 'production',
    PUBLIC_BASE_URL: 'http://mgmt.test',
    BOOTSTRAP_TENANTS: 'roles',
    BOOTSTRAP_ADMIN_SECRET: 'roles-admin-secret-0123456789',
    HOST: '127.0.0.1',
    PORT: '0',
    MIGRATION_DATABASE_URL: process.env[TEST_DB_OWNER_ENV]!,
    // Production needs the trail's keys; given, so the role check is what refuses the start.
    AUDIT_RECORD_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    AUDIT_SEALING_KEY: generateKeyPairSync('ed25519')
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString(),
  };

  // The owner's case takes the same path (src/database/service-role.spec.ts).
  it('refuses, in production, to run as a superuser, in one sentence', async () => {
    const service = new ServiceProcess({
      ...base,
      DATABASE_URL: process.env[TEST_DB_SUPERUSER_ENV]!,
    });
    const { code } = await service.exited;
    expect(code).toBe(1);
    expect(service.text).toMatch(/connects as the superuser \S+: use a role that owns nothing/);
    expect(service.text).toContain('MIGRATION_DATABASE_URL');
    expect(service.text).not.toMatch(/\n\s+at /);
  });
});
