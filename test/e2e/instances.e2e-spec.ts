import { Client } from 'pg';
import { userBody } from '../factories/user';
import { ServiceInstance } from '../utils/service-instance';
import { uniqueTenant } from '../utils/test-app';
import { TEST_DB_ENV, TEST_DB_OWNER_ENV, TEST_DB_SUPERUSER_ENV } from '../utils/test-database';

const RATE_LIMIT = 40;

/**
 * Three service processes on one database (docs/scaling.md#several-instances): migrations
 * applied once, a token from one works on the others,
 * writes through any are found by searches through any, an import is worked once whichever
 * instance takes its batches, and the rate limit is counted per instance.
 */
describe('three instances on one database', () => {
  jest.setTimeout(240_000);
  const tenant = uniqueTenant();
  let db: Client;
  let instances: ServiceInstance[];

  beforeAll(async () => {
    // Reads what the test checks as a superuser (row-level security does not filter it).
    db = new Client({ connectionString: process.env[TEST_DB_SUPERUSER_ENV] });
    await db.connect();
    // One after the other: three compiling at once outlast the start timeout on a busy
    // machine. Three starting at once on an empty database: schema-tenancy-migration.e2e-spec.ts.
    instances = [];
    for (let i = 0; i < 3; i++) {
      instances.push(
        await ServiceInstance.start(
          { url: process.env[TEST_DB_ENV]!, ownerUrl: process.env[TEST_DB_OWNER_ENV]! },
          tenant,
          {
            // One service behind one address: the issuer and audience of every token.
            PUBLIC_BASE_URL: 'http://management.test',
            RATE_LIMIT_MAX: String(RATE_LIMIT),
            IMPORT_CONCURRENCY: '1',
            IMPORT_BATCH_SIZE: '10',
          },
        ),
      );
    }
  });
  afterAll(async () => {
    await Promise.all((instances ?? []).map((i) => i.stop()));
    await db.end();
  });

  it('applied every migration once', async () => {
    const twice = await db.query('SELECT name FROM migrations GROUP BY name HAVING count(*) > 1');
    expect(twice.rows).toEqual([]);
  });

  it('accepts a token from one instance on the others, and finds every write from any', async () => {
    const token = await instances[0].token();
    const created: string[] = [];
    for (let n = 0; n < 9; n++) {
      const res = await instances[n % 3].request('POST', `/${tenant}/v2/Users`, {
        token,
        body: userBody(`spread-${n}`),
      });
      expect(res.status).toBe(201);
      created.push(res.json.id);
    }
    for (const instance of instances) {
      const res = await instance.request(
        'GET',
        `/${tenant}/v2/Users?count=100&filter=${encodeURIComponent('userName sw "spread-"')}`,
        { token },
      );
      expect(res.status).toBe(200);
      expect(res.json.totalResults).toBe(9);
      expect(res.json.Resources.map((u: { id: string }) => u.id).sort()).toEqual(
        [...created].sort(),
      );
    }
    // A cursor from one instance continues on another (the key is in the database).
    const first = await instances[1].request(
      'GET',
      `/${tenant}/v2/Users?count=4&cursor=&filter=${encodeURIComponent('userName sw "spread-"')}`,
      { token },
    );
    const next = await instances[2].request(
      'GET',
      `/${tenant}/v2/Users?count=10&cursor=${encodeURIComponent(first.json.nextCursor)}&filter=${encodeURIComponent('userName sw "spread-"')}`,
      { token },
    );
    expect(next.status).toBe(200);
    expect(first.json.Resources.length + next.json.Resources.length).toBe(9);
  });

  it('works each import once, whichever instances take its batches', async () => {
    const token = await instances[2].token();
    const cois: string[] = [];
    for (let n = 0; n < 3; n++) {
      const users = Array.from({ length: 30 }, (_, i) => userBody(`import-${n}-${i}`));
      const res = await instances[n].request('POST', `/${tenant}/v2/Users/.import`, {
        token,
        body: { users },
      });
      expect(res.status).toBe(201);
      cois.push(res.json.correlationId);
    }
    for (let i = 0; i < 240; i++) {
      const done = await db.query(
        `SELECT count(*)::int AS n FROM import_jobs WHERE id = ANY($1) AND status = 'completed'`,
        [cois],
      );
      if (done.rows[0].n === 3) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const records = await db.query(
      `SELECT coi, count(*) FILTER (WHERE action_name = 'createUser')::int AS created,
              count(DISTINCT target_user_id)::int AS distinct_users
       FROM audit_records WHERE tenant_id = $1 AND coi = ANY($2) GROUP BY coi`,
      [tenant, cois],
    );
    expect(records.rows).toHaveLength(3);
    for (const row of records.rows) expect(row).toMatchObject({ created: 30, distinct_users: 30 });
    const users = await db.query(
      `SELECT count(*)::int AS n FROM users WHERE tenant_id = $1 AND user_name LIKE 'import-%'`,
      [tenant],
    );
    expect(users.rows[0].n).toBe(90);
  });

  it('counts the rate limit per instance', async () => {
    const token = await instances[1].token();
    const probe = (instance: ServiceInstance) =>
      instance.request('GET', `/${tenant}/v2/ServiceProviderConfig`, { token });
    let refused = 0;
    for (let i = 0; i < RATE_LIMIT + 5; i++) {
      if ((await probe(instances[0])).status === 429) refused++;
    }
    expect(refused).toBeGreaterThan(0);
    // The other instances have their own count: the same caller is still served there.
    expect((await probe(instances[1])).status).toBe(200);
    expect((await probe(instances[2])).status).toBe(200);
  });
});
