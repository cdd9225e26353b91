import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { userBody } from '../factories/user';
import { PostgresProcess, ServiceInstance } from '../utils/service-instance';
import { freePort } from '../utils/service-process';
import { uniqueTenant } from '../utils/test-app';
import { TEST_DB_ENV, TEST_DB_OWNER_ENV, TEST_DB_SUPERUSER_ENV } from '../utils/test-database';

/**
 * The import job against real processes: killed mid-job and started again, and two
 * instances sharing the work. Batches are small and every user has a password (scrypt), so
 * an import lasts long enough to be interrupted; expiry and maintenance are short so a dead
 * worker's job is retried within seconds.
 */
const ENV = {
  // Instances behind one name: a token issued by one is valid on the other.
  PUBLIC_BASE_URL: 'http://mgmt.test',
  IMPORT_BATCH_SIZE: '10',
  // One import at a time per instance: with four queued, the second instance must take some.
  IMPORT_CONCURRENCY: '1',
  IMPORT_JOB_EXPIRE_SECONDS: '4',
  JOBS_MAINTENANCE_INTERVAL_SECONDS: '1',
};

jest.setTimeout(240_000);

describe('bulk import durability', () => {
  const url = process.env[TEST_DB_ENV]!;
  const ownerUrl = process.env[TEST_DB_OWNER_ENV]!;
  let db: Client;
  const services: ServiceInstance[] = [];

  beforeAll(async () => {
    // Reads what the test checks as a superuser (row-level security does not filter it).
    db = new Client({ connectionString: process.env[TEST_DB_SUPERUSER_ENV]! });
    await db.connect();
  });
  afterAll(async () => {
    await Promise.all(services.map((s) => s.kill9()));
    await db.end();
  });

  async function start(tenant: string): Promise<ServiceInstance> {
    const service = await ServiceInstance.start({ url, ownerUrl }, tenant, ENV);
    services.push(service);
    return service;
  }

  async function job(coi: string) {
    const rows = await db.query('SELECT * FROM import_jobs WHERE id = $1', [coi]);
    return rows.rows[0];
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 120_000) {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** What the import left in the database, for exact comparison. */
  async function traces(tenant: string, coi: string) {
    const users = await db.query(
      `SELECT lower(user_name) AS n, count(*)::int AS c FROM users
       WHERE tenant_id = $1 AND NOT service_account GROUP BY 1`,
      [tenant],
    );
    const records = await db.query(
      `SELECT action_name, result, action_parameters, target_user_id, correlation_id, request_id,
              acting_user_id FROM audit_records WHERE tenant_id = $1 AND coi = $2`,
      [tenant, coi],
    );
    return { users: users.rows, records: records.rows };
  }

  it('resumes after kill -9 mid-job, in a new process, without duplicating anything', async () => {
    const tenant = uniqueTenant();
    const first = await start(tenant);
    const token = await first.token();
    const existing = await first.request('POST', `/${tenant}/v2/Users`, {
      token,
      body: userBody('crash-existing'),
    });
    expect(existing.status).toBe(201);

    const users = Array.from({ length: 120 }, (_, i) =>
      userBody(`crash-${i}`, { password: `secret-${i}-0123456789` }),
    );
    users[37] = userBody('crash-existing', { password: 'x-0123456789' });
    users[95] = userBody('CRASH-12', { password: 'y-0123456789' });
    const posted = await first.request('POST', `/${tenant}/v2/Users/.import`, {
      token,
      body: { users },
      correlationId: 'crash-resume',
    });
    expect(posted.status).toBe(201);
    const coi: string = posted.json.correlationId;
    const requestId = posted.headers.get('x-request-id');
    // The job carries this instance's expiry, whatever another instance set on the queue.
    const queued = await db.query(
      `SELECT EXTRACT(epoch FROM expire_in)::int AS seconds FROM pgboss.job
       WHERE name = 'bulk-import' AND data->'payload'->>'coi' = $1`,
      [coi],
    );
    expect(queued.rows).toEqual([{ seconds: 4 }]);

    // Kill the worker once some batches have committed and while more remain.
    const before = await until('progress', async () => {
      const j = await job(coi);
      return j.next_index >= 30 ? j : undefined;
    });
    await first.kill9();
    const atKill = await job(coi);
    expect(atKill.status).toBe('running');
    expect(atKill.next_index).toBeGreaterThanOrEqual(before.next_index);
    expect(atKill.next_index).toBeLessThan(120);
    const committed = await traces(tenant, coi);
    // Exactly the committed batches left traces: one record per item before the cursor.
    expect(committed.records.filter((r) => r.action_name === 'createUser')).toHaveLength(
      atKill.next_index,
    );

    const second = await start(tenant);
    const done = await until('completion', async () => {
      const j = await job(coi);
      return j.status === 'completed' ? j : undefined;
    });
    expect(done).toMatchObject({
      import_size: 120,
      next_index: 120,
      nb_imported: 118,
      nb_failed: 2,
    });

    const status = await second.request('GET', `/${tenant}/v2/Users/.import/${coi}`, {
      token: await second.token(),
    });
    expect(status.json).toMatchObject({ status: 'completed', nbImported: 118, nbFailed: 2 });
    expect(status.json.errors.map((e: any) => [e.index, e.userName, e.status])).toEqual([
      [37, 'crash-existing', '409'],
      [95, 'CRASH-12', '409'],
    ]);

    const { users: stored, records } = await traces(tenant, coi);
    expect(stored).toHaveLength(119);
    expect(stored.every((u) => u.c === 1)).toBe(true);
    const created = records.filter((r) => r.action_name === 'createUser');
    expect(created).toHaveLength(120);
    const succeeded = created.filter((r) => r.result === 'RESPONSE_SUCCESS');
    expect(succeeded).toHaveLength(118);
    expect(new Set(succeeded.map((r) => r.target_user_id)).size).toBe(118);
    expect(new Set(created.map((r) => r.action_parameters.index ?? r.target_user_id)).size).toBe(
      120,
    );
    const steps = records.filter((r) => r.action_name === 'importUsers');
    expect(steps.map((r) => r.action_parameters.step).sort()).toEqual(['end', 'start']);
    expect(steps.find((r) => r.action_parameters.step === 'end').action_parameters).toMatchObject({
      nbImported: '118',
      nbFailed: '2',
    });
    // Both processes wrote under the original request's identity.
    for (const r of records) {
      expect(r).toMatchObject({
        correlation_id: 'crash-resume',
        request_id: requestId,
        acting_user_id: `${tenant}-admin`,
      });
    }
    expect(second.linesWith('import batch').length).toBeGreaterThan(0);
    const chunks = await db.query(
      'SELECT count(*)::int AS n FROM import_chunks WHERE job_id = $1',
      [coi],
    );
    expect(chunks.rows[0].n).toBe(0);
    await second.stop();
  });

  it('shares imports between two instances, each item created once', async () => {
    const tenant = uniqueTenant();
    const [a, b] = await Promise.all([start(tenant), start(tenant)]);
    const token = await a.token();
    const cois: string[] = [];
    for (let n = 0; n < 4; n++) {
      const users = Array.from({ length: 40 }, (_, i) =>
        userBody(`shared-${n}-${i}`, { password: `secret-${n}-${i}-0123456789` }),
      );
      const via = n % 2 === 0 ? a : b;
      const res = await via.request('POST', `/${tenant}/v2/Users/.import`, {
        token,
        body: { users },
        correlationId: `shared-${n}`,
      });
      expect(res.status).toBe(201);
      cois.push(res.json.correlationId);
    }
    for (const coi of cois) {
      await until(`import ${coi}`, async () =>
        (await job(coi)).status === 'completed' ? true : undefined,
      );
    }
    const workedBy = (s: ServiceInstance) =>
      new Set(s.linesWith('import batch').map((l) => l.coi as string));
    expect(workedBy(a).size).toBeGreaterThan(0);
    expect(workedBy(b).size).toBeGreaterThan(0);

    const users = await db.query(
      `SELECT count(*)::int AS n, count(DISTINCT lower(user_name))::int AS d FROM users
       WHERE tenant_id = $1 AND NOT service_account`,
      [tenant],
    );
    expect(users.rows[0]).toEqual({ n: 160, d: 160 });
    for (const coi of cois) {
      const { records } = await traces(tenant, coi);
      expect(records.filter((r) => r.action_name === 'createUser')).toHaveLength(40);
      expect(records.filter((r) => r.action_name === 'importUsers')).toHaveLength(2);
      expect(records.every((r) => r.result === 'RESPONSE_SUCCESS')).toBe(true);
    }
    await Promise.all([a.stop(), b.stop()]);
  });

  it('carries on after the database restarts mid-job', async () => {
    // A server of its own: the shared test server cannot be restarted under other tests.
    const dir = join(tmpdir(), `mgmt-restart-pg-${randomBytes(4).toString('hex')}`);
    const port = await freePort();
    let server = await PostgresProcess.start(dir, port);
    const ownUrl = server.superuserUrl;
    const own = new Client({ connectionString: ownUrl });
    try {
      const tenant = uniqueTenant();
      const service = await ServiceInstance.start(server, tenant, ENV);
      services.push(service);
      const users = Array.from({ length: 80 }, (_, i) =>
        userBody(`restart-${i}`, { password: `secret-${i}-0123456789` }),
      );
      const posted = await service.request('POST', `/${tenant}/v2/Users/.import`, {
        token: await service.token(),
        body: { users },
        correlationId: 'db-restart',
      });
      expect(posted.status).toBe(201);
      const coi: string = posted.json.correlationId;
      await own.connect();
      await until('progress', async () => {
        const r = await own.query('SELECT next_index FROM import_jobs WHERE id = $1', [coi]);
        return r.rows[0].next_index >= 20 ? true : undefined;
      });
      await own.end();

      await server.stop();
      await new Promise((r) => setTimeout(r, 2000));
      server = await PostgresProcess.start(dir, port);

      const after = new Client({ connectionString: ownUrl });
      await after.connect();
      try {
        const done = await until('completion', async () => {
          const r = await after.query('SELECT * FROM import_jobs WHERE id = $1', [coi]);
          return r.rows[0].status === 'completed' ? r.rows[0] : undefined;
        });
        expect(done).toMatchObject({ next_index: 80, nb_imported: 80, nb_failed: 0 });
        const counts = await after.query(
          `SELECT (SELECT count(*)::int FROM users WHERE tenant_id = $1 AND NOT service_account) AS users,
                  (SELECT count(DISTINCT lower(user_name))::int FROM users WHERE tenant_id = $1) - 1 AS distinct_users,
                  (SELECT count(*)::int FROM audit_records WHERE coi = $2 AND action_name = 'createUser') AS created,
                  (SELECT count(DISTINCT target_user_id)::int FROM audit_records WHERE coi = $2 AND action_name = 'createUser') AS targets,
                  (SELECT count(*)::int FROM audit_records WHERE coi = $2 AND action_name = 'importUsers') AS steps`,
          [tenant, coi],
        );
        expect(counts.rows[0]).toEqual({
          users: 80,
          distinct_users: 80,
          created: 80,
          targets: 80,
          steps: 2,
        });
      } finally {
        await after.end();
      }
      // The same process did it all: it rode out the outage instead of dying.
      expect(service.linesWith('import batch').length).toBeGreaterThan(0);
      await service.stop();
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
      await rm(`${dir}.credentials.json`, { force: true });
    }
  });
});
