/**
 * Times migration 1765000001000-PartitionAuditRecords on a trail of N records, in a schema
 * of its own (dropped after), and checks that no record changed (docs/retention.md):
 *
 *   npx ts-node --transpile-only scripts/measure-audit-conversion.ts postgres://owner@host/db 200000
 *
 * The records are loaded 10,000 per transaction: one long transaction would hold back
 * every sealer on the server (the snapshot's xmin is server-wide).
 */
import { DataSource } from 'typeorm';
import { migrations } from '../src/database/migrations';
import { PartitionAuditRecords1765000001000 } from '../src/database/migrations/1765000001000-PartitionAuditRecords';
(async () => {
  const schema = 'conv_' + Date.now();
  const url = process.argv[2];
  const n = Number(process.argv[3]);
  const ds = await new DataSource({
    type: 'postgres',
    url,
    extra: { options: `-c search_path=${schema}` },
    migrations: migrations.slice(0, migrations.indexOf(PartitionAuditRecords1765000001000)),
  }).initialize();
  await ds.query(`CREATE SCHEMA ${schema}`);
  await ds.runMigrations({ transaction: 'each' });

  for (let i = 0; i < n; i += 10000) {
    await ds.query(
      `INSERT INTO audit_records (id, tenant_id, correlation_id, request_id, service_id, action_name, action_parameters, result, created, hash)
      SELECT gen_random_uuid(), 't' || (i % 20), 'c' || (i % 1000), gen_random_uuid(), 'CH_DIRECT', 'createUser', jsonb_build_object('Action','createUser','n', i::text), 'RESPONSE_SUCCESS', now(), '' FROM generate_series($1::int, $2::int) i`,
      [i, i + 9999],
    );
  }
  const before: { m: string; size: string }[] = await ds.query(
    `SELECT md5(string_agg(r::text, ',' ORDER BY id)) AS m, pg_total_relation_size('audit_records') AS size FROM audit_records r`,
  );
  const runner = ds.createQueryRunner();
  const t0 = process.hrtime.bigint();
  await runner.startTransaction();
  await new PartitionAuditRecords1765000001000().up(runner);
  await runner.commitTransaction();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const after: { m: string }[] = await ds.query(
    `SELECT md5(string_agg(r::text, ',' ORDER BY id)) AS m FROM audit_records r`,
  );
  process.stdout.write(
    JSON.stringify({
      records: n,
      sizeBytes: before[0].size,
      conversionMs: Math.round(ms),
      unchanged: before[0].m === after[0].m,
    }) + '\n',
  );
  await runner.release();
  await ds.query(`DROP SCHEMA ${schema} CASCADE`);
  await ds.destroy();
})().catch((e) => {
  process.stderr.write(`${String(e)}\n`);
  process.exit(1);
});
