import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { AuditRetentionService } from '../../src/audit/audit-retention.service';
import { AuditService } from '../../src/audit/audit.service';
import { VerifyReport } from '../../src/audit/audit-verifier';
import { RequestContextService } from '../../src/context/request-context.service';
import { createUser } from '../factories/user';
import { useTestApp } from '../utils/suite';
import { TEST_DB_SUPERUSER_ENV } from '../utils/test-database';

/**
 * docs/retention.md: a month past every holder's retention is dropped whole, as the owner,
 * only once sealed; each tenant with records in it gets a `purgeAuditRecords` record; and the
 * trail that crossed the drop still verifies, `.verify` naming the purge.
 *
 * The dropped month is one ahead (the migration makes three): only this file's tenant writes
 * there (records dated into it, as an import's records carry their rows' time), and the
 * purge runs with its clock moved past that month's retention.
 */
describe('audit retention', () => {
  // The run's shared keys: every app's sealer seals every tenant.
  const s = useTestApp({ env: { AUDIT_SEAL_INTERVAL_SECONDS: '1' } });
  const now = new Date();
  const monthStart = (ahead: number) =>
    new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + ahead, 1));
  const partitionOf = (ahead: number) =>
    `audit_records_${monthStart(ahead).toISOString().slice(0, 7).replace('-', '_')}`;
  const partition = partitionOf(2);

  async function verify(): Promise<VerifyReport> {
    const res = await s.t.request({
      method: 'GET',
      url: `/${s.t.tenant}/v2/AuditRecords/.verify`,
      token: await s.t.adminToken(),
    });
    expect(res.statusCode).toBe(200);
    return res.json();
  }

  async function sealed(): Promise<VerifyReport> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const report = await verify();
      if (!report.verified) throw new Error(`tampered: ${JSON.stringify(report)}`);
      if (report.unsealedRecords === 0 && report.checkedSeals > 0) return report;
      if (Date.now() > deadline) throw new Error(`not sealed: ${JSON.stringify(report)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Records the service writes, dated into the month `ahead` months from now. */
  async function recordsDatedAhead(n: number, ahead = 2): Promise<void> {
    const audit = s.t.app.get(AuditService);
    const txHost = s.t.app.get<TransactionHost<TransactionalAdapterTypeOrm>>(TransactionHost);
    for (let i = 0; i < n; i++) {
      await s.t.app
        .get(RequestContextService)
        .run({ requestId: uuidv7(), tenant: s.t.tenant }, () =>
          txHost.withTransaction(() =>
            audit.record('createUser', { at: new Date(monthStart(ahead).getTime() + 1000 * i) }),
          ),
        );
    }
  }

  it('drops a month past retention, records it, and the trail still verifies', async () => {
    const retention = s.t.app.get(AuditRetentionService);
    await createUser(s.t);
    await recordsDatedAhead(5);
    await createUser(s.t);
    await sealed();
    const later = new Date(monthStart(3).getTime() + 3 * 24 * 3600 * 1000);

    // Keeping forever (no global period, no tenant's own): nothing goes.
    expect(await retention.purge(later)).toEqual([]);

    await s.t.db.query('UPDATE tenants SET audit_retention_days = 2 WHERE id = $1', [s.t.tenant]);
    // Two days after the month ended is not yet past it.
    expect(await retention.purge(new Date(monthStart(3).getTime() + 3600 * 1000))).toEqual([]);
    expect(await retention.purge(later)).toEqual([partition]);

    const [{ left }] = await s.t.db.query<{ left: number }[]>(
      `SELECT count(*)::int AS left FROM audit_records WHERE tenant_id = $1 AND created >= $2`,
      [s.t.tenant, monthStart(2)],
    );
    expect(left).toBe(0);
    const [purge] = await s.t.db.query<{ parameters: Record<string, string> }[]>(
      `SELECT action_parameters AS parameters FROM audit_records
        WHERE tenant_id = $1 AND action_name = 'purgeAuditRecords'`,
      [s.t.tenant],
    );
    expect(purge.parameters).toMatchObject({
      partition,
      from: monthStart(2).toISOString().replace('.000', ''),
      to: monthStart(3).toISOString().replace('.000', ''),
      records: '5',
    });
    expect(purge.parameters.seals).toMatch(/^\d+-\d+$/);

    const report = await sealed();
    expect(report).toMatchObject({ verified: true, firstFailure: null });
    expect(report.purges).toEqual([
      expect.objectContaining({ partition, records: 5, lastSealSeq: purge.parameters.lastSealSeq }),
    ]);
    // The month is made again for writes that still date into it.
    expect(await retention.addPartitions()).toBe(1);
  });

  it("tries a drop again when the database makes it a deadlock's victim", async () => {
    // Another transaction holds the month against writes' locks, and then waits for the
    // drop's own GRANT: a cycle PostgreSQL breaks by aborting the drop, which waited first.
    const retention = s.t.app.get(AuditRetentionService);
    const month = partitionOf(3);
    await recordsDatedAhead(3, 3);
    await createUser(s.t);
    await sealed();
    await s.t.db.query('UPDATE tenants SET audit_retention_days = 2 WHERE id = $1', [s.t.tenant]);
    const other = new Client({ connectionString: process.env[TEST_DB_SUPERUSER_ENV] });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(`LOCK TABLE ${month} IN ROW EXCLUSIVE MODE`);
      const purged = retention.purge(new Date(monthStart(4).getTime() + 3 * 24 * 3600 * 1000));
      // Once the drop waits for its SHARE lock, close the cycle; the GRANT is rolled back.
      for (;;) {
        const { rows } = await other.query<{ waiting: boolean }>(
          `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE relation = $1::regclass
             AND mode = 'ShareLock' AND NOT granted) AS waiting`,
          [month],
        );
        if (rows[0].waiting) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await other.query(`GRANT SELECT ON ${month} TO PUBLIC`);
      await other.query('ROLLBACK');
      expect(await purged).toEqual([month]);
    } finally {
      await other.end();
    }
    const report = await sealed();
    expect(report).toMatchObject({ verified: true, firstFailure: null });
    expect(report.purges).toEqual(
      expect.arrayContaining([expect.objectContaining({ partition: month, records: 3 })]),
    );
  });
});
