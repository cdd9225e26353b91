import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { sealingKeysFromJwks } from '../../src/audit/audit-seal';
import { pgTrailDatabase, sqlTrailSource } from '../../src/audit/audit-trail-source';
import { VerifierKeys, VerifyReport, verifyTrail } from '../../src/audit/audit-verifier';
import { AuditKeysService } from '../../src/audit/audit-keys.service';
import { migrations } from '../../src/database/migrations';
import { PartitionAuditRecords1765000001000 } from '../../src/database/migrations/1765000001000-PartitionAuditRecords';
import { createUser } from '../factories/user';
import { useTestApp } from '../utils/suite';
import { TEST_DB_OWNER_ENV, TEST_DB_SUPERUSER_ENV } from '../utils/test-database';

/**
 * docs/scaling.md, "Partitions and retention": the trail is partitioned by month on
 * `created`, a time-bounded search reads only its months, partitions made later carry the
 * same indexes, triggers, row-level security and (no) grants, and the migration converts an
 * existing, sealed trail without rewriting a record.
 */
describe('audit trail partitions', () => {
  const s = useTestApp();
  const partitions = async () =>
    // pg answers -infinity (the legacy partition's start) as a number, the others as dates.
    (
      await s.t.db.query<{ name: string; starts: Date | number; ends: Date }[]>(
        'SELECT name, starts, ends FROM audit_record_partitions()',
      )
    ).map((p) => ({ ...p, starts: Number(p.starts), ends: Number(p.ends) }));
  const plan = async (sql: string, params: unknown[]) => {
    const rows: { 'QUERY PLAN': string }[] = await s.t.db.query(`EXPLAIN ${sql}`, params);
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  };

  it('is partitioned by month, this month and three ahead made already', async () => {
    const [{ kind }] = await s.t.db.query<{ kind: string }[]>(
      `SELECT relkind AS kind FROM pg_class WHERE oid = 'audit_records'::regclass`,
    );
    expect(kind).toBe('p');
    const all = await partitions();
    const now = new Date();
    const ahead = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 4, 1));
    expect(all[all.length - 1].ends).toBeGreaterThanOrEqual(ahead.getTime());
    expect(all.some((p) => p.starts <= now.getTime() && p.ends > now.getTime())).toBe(true);
  });

  it('prunes the months a time-bounded search cannot match (EXPLAIN)', async () => {
    const monthly = (await partitions()).filter((p) => p.name !== 'audit_records_legacy');
    const month = monthly[monthly.length - 1];
    // As the filter compiler binds `meta.created ge "…" and meta.created lt "…"`: text cast.
    const bounded = await plan(
      `SELECT r.id FROM audit_records r
       WHERE r.tenant_id = $1 AND (r.created >= $2::timestamptz AND r.created < $3::timestamptz)
       ORDER BY r.created, r.id LIMIT 100`,
      [s.t.tenant, new Date(month.starts).toISOString(), new Date(month.ends).toISOString()],
    );
    expect(bounded).toContain(month.name);
    for (const other of (await partitions()).filter((p) => p.name !== month.name)) {
      expect(bounded).not.toContain(other.name);
    }
    // Without a bound every month is read.
    const unbounded = await plan(
      'SELECT r.id FROM audit_records r WHERE r.tenant_id = $1 ORDER BY r.created, r.id LIMIT 100',
      [s.t.tenant],
    );
    for (const p of await partitions()) expect(unbounded).toContain(p.name);
  });

  it('makes later months as the owner, each like the first: indexes, triggers, security, no grants', async () => {
    // The service role may call it (SECURITY DEFINER): that is what the maintenance tick does.
    const [{ made }] = await s.t.serviceDb.query<{ made: number }[]>(
      'SELECT audit_records_add_partitions(6) AS made',
    );
    // Three more months, unless retention (its test) dropped one that is made again here.
    expect(made).toBeGreaterThanOrEqual(3);
    const newest = (await partitions()).pop()!;
    const now = new Date();
    expect(newest.ends).toBe(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 7, 1));
    const suffix = newest.name.replace('audit_records_', '');
    const indexes = await s.t.db.query<{ name: string }[]>(
      `SELECT indexrelid::regclass::text AS name FROM pg_index WHERE indrelid = $1::regclass ORDER BY 1`,
      [newest.name],
    );
    expect(indexes.map((i) => i.name)).toContain(`audit_records_pkey_${suffix}`);
    expect(indexes.map((i) => i.name)).toContain(`audit_records_tenant_created_${suffix}`);
    const [table] = await s.t.db.query<Record<string, unknown>[]>(
      `SELECT c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
              (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)::int AS policies,
              (SELECT array_agg(tgname::text ORDER BY tgname) FROM pg_trigger t WHERE t.tgrelid = c.oid) AS triggers
         FROM pg_class c WHERE c.oid = $1::regclass`,
      [newest.name],
    );
    expect(table).toEqual({
      enabled: true,
      forced: true,
      policies: 1,
      triggers: [
        'audit_records_no_truncate',
        'audit_records_no_update_delete',
        'audit_records_stamp',
      ],
    });
    // The service reaches the rows only through the parent.
    await expect(s.t.serviceDb.query(`SELECT 1 FROM ${newest.name} LIMIT 1`)).rejects.toThrow(
      /permission denied/,
    );
    // A record written without the service's MAC is still stamped and hashed by the trigger
    // that fires on the partition.
    const id = '0190b000-0000-7000-8000-00000000000a';
    await s.t.db.query(
      `INSERT INTO audit_records (id, tenant_id, request_id, service_id, action_name, result, hash)
       VALUES ($1, $2, gen_random_uuid(), 'CH_DIRECT', 'createUser', 'RESPONSE_SUCCESS', '')`,
      [id, s.t.tenant],
    );
    const [row] = await s.t.db.query<{ intact: boolean }[]>(
      'SELECT hash = audit_record_hash(r) AS intact FROM audit_records r WHERE id = $1',
      [id],
    );
    expect(row.intact).toBe(true);
  });
});

/**
 * The migration on a trail that already holds records and seals: run in a schema of its own
 * (migrated up to the one before it, the trail copied in as stored), it keeps every record
 * byte for byte and the trail verifies before and after.
 */
describe('migration 1765000001000-PartitionAuditRecords on an existing trail', () => {
  // The run's shared keys: every app's sealer seals every tenant, so a key of this file's
  // own would leave other files' seals unverifiable.
  const s = useTestApp({ env: { AUDIT_SEAL_INTERVAL_SECONDS: '1' } });
  const schema = `parts_${randomBytes(4).toString('hex')}`;
  let owner: DataSource;
  let superuser: Client;

  beforeAll(async () => {
    owner = await new DataSource({
      type: 'postgres',
      url: process.env[TEST_DB_OWNER_ENV],
      extra: { options: `-c search_path=${schema}` },
      migrations: migrations.slice(0, migrations.indexOf(PartitionAuditRecords1765000001000)),
    }).initialize();
    await owner.query(`CREATE SCHEMA ${schema}`);
    await owner.runMigrations({ transaction: 'each' });
    superuser = new Client({
      connectionString: process.env[TEST_DB_SUPERUSER_ENV],
      options: `-c search_path=${schema}`,
    });
    await superuser.connect();
  });
  afterAll(async () => {
    await owner?.query(`DROP SCHEMA ${schema} CASCADE`);
    await owner?.destroy();
    await superuser?.end();
  });

  async function verifyHere(tenant: string, keys: VerifierKeys): Promise<VerifyReport> {
    return verifyTrail(tenant, sqlTrailSource(pgTrailDatabase(superuser), tenant), keys);
  }

  it('keeps every record and seal, and the trail verifies before and after', async () => {
    const tenant = s.t.tenant;
    for (let i = 0; i < 12; i++) await createUser(s.t, { userName: `part-${i}` });
    // Wait until the sealer has sealed everything, as `.verify` reports it.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await s.t.request({
        method: 'GET',
        url: `/${tenant}/v2/AuditRecords/.verify`,
        token: await s.t.adminToken(tenant),
      });
      const report = res.json<VerifyReport>();
      if (report.verified && report.unsealedRecords === 0 && report.checkedSeals > 0) break;
      if (Date.now() > deadline) throw new Error(`not sealed: ${res.body}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const jwks = (
      await s.t.request({ method: 'GET', url: `/${tenant}/v2/AuditRecords/.sealing-keys` })
    ).json<{ keys: [] }>();
    const keys: VerifierKeys = {
      sealingKeys: await sealingKeysFromJwks(jwks),
      recordKeys: s.t.app.get(AuditKeysService).recordKeyMap(),
    };

    // The trail as stored, copied in with the triggers off (they would restamp it).
    await superuser.query('SET session_replication_role = replica');
    await superuser.query(
      `INSERT INTO audit_records SELECT * FROM public.audit_records WHERE tenant_id = $1`,
      [tenant],
    );
    await superuser.query(
      `INSERT INTO audit_seals SELECT * FROM public.audit_seals WHERE tenant_id = $1`,
      [tenant],
    );
    await superuser.query('SET session_replication_role = DEFAULT');
    const snapshot = async () =>
      (
        await superuser.query(
          `SELECT count(*)::int AS records,
                  md5(string_agg(r::text, ',' ORDER BY r.id)) AS content,
                  (SELECT count(*)::int FROM audit_seals) AS seals
             FROM audit_records r`,
        )
      ).rows[0] as { records: number; content: string; seals: number };
    const before = await snapshot();
    expect(before.records).toBeGreaterThan(12);
    const clean = await verifyHere(tenant, keys);
    // The last `.verify` above recorded itself after the seal: one record may be unsealed.
    expect(clean).toMatchObject({ verified: true, firstFailure: null });
    expect(clean.checkedSeals).toBeGreaterThan(0);

    const runner = owner.createQueryRunner();
    await runner.startTransaction();
    await new PartitionAuditRecords1765000001000().up(runner);
    await runner.commitTransaction();
    await runner.release();

    expect(await snapshot()).toEqual(before);
    const { rows } = await superuser.query(
      `SELECT (SELECT relkind FROM pg_class WHERE oid = 'audit_records'::regclass) AS kind,
              (SELECT count(*)::int FROM audit_records_legacy) AS legacy`,
    );
    expect(rows[0]).toEqual({ kind: 'p', legacy: before.records });
    expect(await verifyHere(tenant, keys)).toEqual(clean);
  });
});
