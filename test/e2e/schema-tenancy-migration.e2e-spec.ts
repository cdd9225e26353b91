import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { runMigrations } from '../../src/database/migration-runner';
import { migrations } from '../../src/database/migrations';
import { LeadKeysWithTenant1765000000800 } from '../../src/database/migrations/1765000000800-LeadKeysWithTenant';
import { TEST_DB_OWNER_ENV } from '../utils/test-database';

/**
 * LeadKeysWithTenant on a database that already holds data: every row kept as it was, the
 * trail's hashes still verify, and the composite references behave as the old ones did.
 * The migrations run in a schema of their own inside the test database, so the state before
 * the migration can be built without another database. They run as the schema owner, as in
 * production (the service role may not create a schema, nor change one).
 */
describe('migration 1765000000800-LeadKeysWithTenant on existing data', () => {
  const schema = `before_${randomBytes(4).toString('hex')}`;
  let ds: DataSource;
  const q = <T = any>(sql: string, params: unknown[] = []) => ds.query(sql, params) as Promise<T[]>;

  beforeAll(async () => {
    const admin = await new DataSource({
      type: 'postgres',
      url: process.env[TEST_DB_OWNER_ENV],
    }).initialize();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.destroy();
    const index = migrations.indexOf(LeadKeysWithTenant1765000000800);
    ds = await new DataSource({
      type: 'postgres',
      url: process.env[TEST_DB_OWNER_ENV],
      schema,
      extra: { options: `-c search_path=${schema}` },
      migrations: migrations.slice(0, index),
    }).initialize();
    await ds.runMigrations({ transaction: 'each' });
  });
  afterAll(async () => {
    await ds.query(`DROP SCHEMA ${schema} CASCADE`);
    await ds.destroy();
  });

  it('keeps every row and record, and the references within their tenant', async () => {
    for (const tenant of ['ta', 'tb']) {
      await q(`INSERT INTO tenants (id) VALUES ($1)`, [tenant]);
      const [user] = await q(
        `INSERT INTO users (id, tenant_id, user_name) VALUES (gen_random_uuid(), $1, 'u-' || $1) RETURNING id`,
        [tenant],
      );
      await q(
        `INSERT INTO clients (id, tenant_id, client_id, secret_digest, service_user_id)
         VALUES (gen_random_uuid(), $1, 'c-' || $1, 'x', $2)`,
        [tenant, user.id],
      );
      const [device] = await q(
        `INSERT INTO devices (id, tenant_id, serial_number, type, status, owner_id)
         VALUES (gen_random_uuid(), $1, 's-' || $1, 'phone', 'ACTIVE', $2) RETURNING id`,
        [tenant, user.id],
      );
      const [parent] = await q(
        `INSERT INTO organizations (id, tenant_id, name) VALUES (gen_random_uuid(), $1, 'p') RETURNING id`,
        [tenant],
      );
      await q(
        `INSERT INTO organizations (id, tenant_id, name, parent_id) VALUES (gen_random_uuid(), $1, 'c', $2)`,
        [tenant, parent.id],
      );
      await q(
        `INSERT INTO ciba_requests (id, tenant_id, client_id, user_id, device_id, scope, hint_kind,
           delivery_mode, status, poll_interval, expires_at)
         VALUES ('req-' || $1, $1, 'c', $2, $3, 'openid', 'login_hint', 'poll', 'pending', 5,
           now() + interval '5 minutes')`,
        [tenant, user.id, device.id],
      );
      await q(
        `INSERT INTO audit_records (id, tenant_id, request_id, service_id, action_name, result, created, hash)
         SELECT gen_random_uuid(), $1, gen_random_uuid(), 'CH_DIRECT', 'createUser', 'RESPONSE_SUCCESS', now(), ''
         FROM generate_series(1, 50)`,
        [tenant],
      );
    }
    const snapshot = () =>
      q(`SELECT
           (SELECT md5(string_agg(u::text, ',' ORDER BY id)) FROM users u) AS users,
           (SELECT md5(string_agg(r.id || r.hash, ',' ORDER BY id)) FROM audit_records r) AS records,
           (SELECT count(*) FROM audit_records r WHERE r.hash <> audit_record_hash(r))::int AS tainted,
           (SELECT count(*) FROM clients)::int + (SELECT count(*) FROM devices)::int
             + (SELECT count(*) FROM organizations)::int + (SELECT count(*) FROM ciba_requests)::int AS others`);
    const before = await snapshot();

    const runner = ds.createQueryRunner();
    await runner.startTransaction();
    await new LeadKeysWithTenant1765000000800().up(runner);
    await runner.commitTransaction();
    await runner.release();

    expect(await snapshot()).toEqual(before);
    expect(before[0]).toMatchObject({ tainted: 0, others: 10 });
    // A reference into another tenant is refused now.
    const [other] = await q(`SELECT id FROM users WHERE tenant_id = 'tb'`);
    await expect(
      q(`UPDATE devices SET owner_id = $1 WHERE tenant_id = 'ta'`, [other.id]),
    ).rejects.toThrow(/foreign key/);
    // Deleting a device's owner clears the owner, not the device's tenant; its CIBA
    // requests go with it, as before.
    await q(`DELETE FROM clients WHERE tenant_id = 'ta'`);
    await q(`DELETE FROM users WHERE tenant_id = 'ta'`);
    expect(await q(`SELECT tenant_id, owner_id FROM devices WHERE tenant_id = 'ta'`)).toEqual([
      { tenant_id: 'ta', owner_id: null },
    ]);
    expect(await q(`SELECT id FROM ciba_requests WHERE tenant_id = 'ta'`)).toEqual([]);
  });
});

/**
 * Instances starting together on an empty database: each runs the migrations at start-up
 * (runMigrations, under an advisory lock), and each migration is applied once.
 */
describe('migrations started by three instances at once', () => {
  const schema = `fresh_${randomBytes(4).toString('hex')}`;
  const sources: DataSource[] = [];

  afterAll(async () => {
    await sources[0]?.query(`DROP SCHEMA ${schema} CASCADE`);
    await Promise.all(sources.map((s) => s.destroy()));
  });

  it('applies every migration once', async () => {
    const admin = await new DataSource({
      type: 'postgres',
      url: process.env[TEST_DB_OWNER_ENV],
    }).initialize();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.destroy();
    for (let i = 0; i < 3; i++) {
      sources.push(
        await new DataSource({
          type: 'postgres',
          url: process.env[TEST_DB_OWNER_ENV],
          schema,
          extra: { options: `-c search_path=${schema}` },
          migrations,
        }).initialize(),
      );
    }
    await Promise.all(sources.map((s) => runMigrations(s)));
    const applied: { name: string; n: number }[] = await sources[0].query(
      `SELECT name, count(*)::int AS n FROM ${schema}.migrations GROUP BY name`,
    );
    expect(applied).toHaveLength(migrations.length);
    expect(applied.every((m) => m.n === 1)).toBe(true);
  });
});
