import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { userBody } from '../factories/user';
import { PostgresProcess, ServiceInstance } from '../utils/service-instance';
import { freePort } from '../utils/service-process';
import { uniqueTenant } from '../utils/test-app';

/**
 * A hung database (every PostgreSQL process stopped by SIGSTOP, on a server this test starts
 * itself): writes answer 503 with Retry-After within the bound, readiness answers non-200
 * within 5 s, and every refused write has its failure record once the database is back.
 */
jest.setTimeout(180_000);

/** DB_STATEMENT_TIMEOUT_MS's default is 4 s; the answer comes within 5 s. */
const BOUND_MS = 5000;

describe('hung database', () => {
  const dir = join(tmpdir(), `mgmt-hang-${randomBytes(4).toString('hex')}`);
  let pg: PostgresProcess;
  let service: ServiceInstance;
  const tenant = uniqueTenant();

  beforeAll(async () => {
    pg = await PostgresProcess.start(dir, await freePort());
    service = await ServiceInstance.start(pg, tenant);
  });
  afterAll(async () => {
    await pg?.thaw().catch(() => undefined);
    await service?.kill9();
    await pg?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
    const started = Date.now();
    const value = await work();
    return { value, ms: Date.now() - started };
  }

  it('answers writes 503 within the bound and records every refusal afterwards', async () => {
    const token = await service.token();
    const users = `/${tenant}/v2/Users`;
    const ok = await service.request('POST', users, { token, body: userBody('before-hang') });
    expect(ok.status).toBe(201);

    await pg.freeze();
    const run = randomBytes(3).toString('hex');
    const writes = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        timed(() =>
          service.request('POST', users, {
            token,
            body: userBody(`hung-${run}-${i}`),
            correlationId: `hang-${run}-${i}`,
          }),
        ),
      ),
    );
    const ready = await timed(() => fetch(`${service.baseUrl}/health/ready`));
    // A write refused for its body (before anything asks the database) while the database
    // hangs: answered at once, and recorded later.
    const bad = await timed(() =>
      fetch(`${service.baseUrl}${users}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/scim+json',
          'x-correlation-id': `hang-${run}-bad`,
        },
        body: '{"userName":',
      }),
    );
    // More refusals after the first wave: they go straight to the backlog.
    const second = await timed(() =>
      service.request('POST', users, {
        token,
        body: userBody(`hung-${run}-late`),
        correlationId: `hang-${run}-late`,
      }),
    );
    await pg.thaw();

    const failed = service.linesWith('request failed with 500');
    expect(failed.map((l) => JSON.stringify(l.err).slice(0, 600))).toEqual([]);
    for (const w of [...writes, second]) {
      expect(w.value.status).toBe(503);
      expect(w.value.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(w.value.json.detail).toMatch(/temporarily unavailable/);
      expect(w.ms).toBeLessThan(BOUND_MS + 500);
    }
    expect(ready.value.status).not.toBe(200);
    expect(ready.ms).toBeLessThan(BOUND_MS);
    expect(bad.value.status).toBe(400);
    expect(bad.ms).toBeLessThan(1000);

    // Back: readiness returns and the backlog is written.
    const deadline = Date.now() + 60_000;
    while ((await fetch(`${service.baseUrl}/health/ready`)).status !== 200) {
      if (Date.now() > deadline) throw new Error('never ready again');
      await new Promise((r) => setTimeout(r, 250));
    }
    const db = new Client({ connectionString: pg.superuserUrl });
    await db.connect();
    try {
      const expected = [
        ...Array.from({ length: 8 }, (_, i) => [`hang-${run}-${i}`, '503']),
        [`hang-${run}-late`, '503'],
        [`hang-${run}-bad`, '400'],
      ];
      let rows: { correlation_id: string; status: string; result: string }[] = [];
      while (Date.now() < deadline) {
        rows = (
          await db.query(
            `SELECT correlation_id, result, return_value->>'status' AS status FROM audit_records
              WHERE tenant_id = $1 AND correlation_id LIKE $2 ORDER BY correlation_id`,
            [tenant, `hang-${run}-%`],
          )
        ).rows;
        if (rows.length >= expected.length) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(rows.map((r) => [r.correlation_id, r.status]).sort()).toEqual(expected.sort());
      expect(rows.every((r) => r.result === 'RESPONSE_FAILURE')).toBe(true);
      // No user of the refused writes was created.
      const created = await db.query(
        `SELECT count(*)::int AS n FROM users WHERE tenant_id = $1 AND user_name LIKE $2`,
        [tenant, `hung-${run}-%`],
      );
      expect(created.rows[0].n).toBe(0);
    } finally {
      await db.end();
    }

    const metrics = await (await fetch(`${service.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^audit_failure_records_backlog 0$/m);
    expect(metrics).toMatch(/^audit_failure_records_dropped_total 0$/m);
    // Writes work again.
    const after = await service.request('POST', users, { token, body: userBody(`after-${run}`) });
    expect(after.status).toBe(201);
  });
});
