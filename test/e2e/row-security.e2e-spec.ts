import { TransactionHost } from '@nestjs-cls/transactional';
import { Client } from 'pg';
import { Database } from '../../src/database/database';
import { SearchDatabase } from '../../src/database/search-database';
import { TENANT_POLICY } from '../../src/database/service-role';
import { createUser } from '../factories/user';
import { inContext } from '../utils/service-context';
import { useTestApp } from '../utils/suite';
import { TEST_DB_ENV } from '../utils/test-database';

/**
 * Row-level security (docs/audit-integrity.md, "Database roles and row-level security"):
 * isolation between tenants does not rest on WHERE clauses alone.
 */
describe('row-level security', () => {
  const s = useTestApp({ tenants: 2 });
  let a: string;
  let b: string;
  let bUser: { id: string; userName: string };

  beforeAll(async () => {
    [a, b] = s.t.tenants;
    await createUser(s.t, {}, { tenant: a, token: await s.t.adminToken(a) });
    bUser = await createUser(s.t, {}, { tenant: b, token: await s.t.adminToken(b) });
  });

  it('every table with a tenant_id has its policy, enabled and forced', async () => {
    const { length } = await s.t.db.query(
      `SELECT 1 FROM information_schema.columns
        WHERE table_schema = 'public' AND column_name = 'tenant_id'`,
    );
    const unprotected = await s.t.db.query(
      `SELECT c.relname FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
        WHERE c.relkind IN ('r', 'p')
          AND NOT (c.relrowsecurity AND c.relforcerowsecurity
                   AND EXISTS (SELECT 1 FROM pg_policy p
                                WHERE p.polrelid = c.oid AND p.polname = $1
                                  AND p.polcmd = '*' AND p.polqual IS NOT NULL
                                  AND p.polwithcheck IS NOT NULL))`,
      [TENANT_POLICY],
    );
    expect(length).toBeGreaterThanOrEqual(8);
    expect(unprotected).toEqual([]);
  });

  it('the service role sees no tenant row without a tenant scope, and only its own with one', async () => {
    const service = new Client({ connectionString: process.env[TEST_DB_ENV] });
    await service.connect();
    try {
      const count = async () =>
        (
          await service.query(
            `SELECT (SELECT count(*)::int FROM users) AS users,
                    (SELECT count(*)::int FROM audit_records) AS records,
                    (SELECT count(*)::int FROM users WHERE tenant_id = $1) AS foreign_users`,
            [b],
          )
        ).rows[0];
      expect(await count()).toEqual({ users: 0, records: 0, foreign_users: 0 });
      await service.query(`SELECT set_config('app.tenant_id', $1, false)`, [a]);
      const scoped = await count();
      expect(scoped.users).toBeGreaterThan(0);
      expect(scoped.foreign_users).toBe(0);
      await expect(
        service.query(
          `INSERT INTO organizations (id, tenant_id, name) VALUES (gen_random_uuid(), $1, 'x')`,
          [b],
        ),
      ).rejects.toMatchObject({ code: '42501' });
    } finally {
      await service.end();
    }
  });

  it('a statement that forgets its tenant clause still finds no foreign row', async () => {
    const rows = await inContext(
      s.t,
      () =>
        s.t.app
          .get(Database)
          .query<{ tenant_id: string }>('SELECT DISTINCT tenant_id FROM users', []),
      { tenant: a },
    );
    expect(rows.map((r) => r.tenant_id)).toEqual([a]);
    const searched = await inContext(
      s.t,
      () =>
        s.t.app
          .get(SearchDatabase)
          .query<{ tenant_id: string }>('SELECT DISTINCT tenant_id FROM audit_records', []),
      { tenant: a },
    );
    expect(searched.map((r) => r.tenant_id)).toEqual([a]);
  });

  it('a tenant setting is trusted on a connection only after its transaction committed', async () => {
    const db = s.t.app.get(Database);
    const txHost = s.t.app.get(TransactionHost);
    const tenantsSeen = async (tenant: string, inTransaction: boolean) => {
      const read = () =>
        db.query<{ tenant_id: string }>('SELECT DISTINCT tenant_id FROM users', []);
      const rows = await inContext(
        s.t,
        () => (inTransaction ? txHost.withTransaction(read) : read()),
        {
          tenant,
        },
      );
      return rows.map((r) => r.tenant_id);
    };
    // Sequential work reuses the pool's last released connection: its session now holds b.
    expect(await tenantsSeen(b, false)).toEqual([b]);
    // a's transaction sets a on that session, then rolls back, which puts b back.
    await expect(
      inContext(
        s.t,
        () =>
          txHost.withTransaction(async () => {
            await db.query('SELECT 1', []);
            throw new Error('rolled back on purpose');
          }),
        { tenant: a },
      ),
    ).rejects.toThrow('rolled back on purpose');
    // So a's next transaction must set a again rather than read b's rows.
    expect(await tenantsSeen(a, true)).toEqual([a]);
    // A committed setting is kept, and a statement of another tenant still replaces it.
    expect(await tenantsSeen(a, true)).toEqual([a]);
    expect(await tenantsSeen(b, false)).toEqual([b]);
    expect(await tenantsSeen(b, true)).toEqual([b]);
  });

  it('paths, ids and filters naming another tenant find nothing of it', async () => {
    const token = await s.t.adminToken(a);
    const get = (url: string) => s.t.request({ method: 'GET', url, token });
    expect((await get(`/${a}/v2/Users/${bUser.id}`)).statusCode).toBe(404);
    const filter = encodeURIComponent(`userName eq "${bUser.userName}" or id eq "${bUser.id}"`);
    expect((await get(`/${a}/v2/Users?filter=${filter}`)).json().totalResults).toBe(0);
    const records = await get(
      `/${a}/v2/AuditRecords?filter=${encodeURIComponent(`tenantId eq "${b}"`)}`,
    );
    expect(records.json().Resources ?? []).toEqual([]);
    expect([401, 403, 404]).toContain((await get(`/${b}/v2/Users/${bUser.id}`)).statusCode);
  });
});
