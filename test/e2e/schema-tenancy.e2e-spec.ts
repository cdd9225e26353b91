import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { bulkRecords } from '../utils/audit-seed';
import { createTestApp, TestApp } from '../utils/test-app';

/**
 * The schema stays ready to distribute by tenant (Citus `create_distributed_table(table,
 * 'tenant_id')`): read from the catalog of the migrated database, tenant_id leads every
 * primary key, unique constraint and index of every tenant table, and every foreign key
 * between tenant tables carries it, so no row can point into another tenant. The SQL of the
 * repositories is read too: every statement on a tenant table names tenant_id, unless it is
 * listed below with the reason it does not.
 */

/** Tables that are not per tenant: the tenants themselves and the search cursor key. */
const GLOBAL_TABLES = new Set(['tenants', 'search_cursor_keys', 'migrations']);

/**
 * Known exceptions, each a debt to pay before distributing: the import worker addresses a
 * job and its chunks and errors by the COI alone (the job's payload carries no tenant), and
 * a token's signing key is found by its `kid` before its tenant is known.
 */
const NOT_YET_BY_TENANT = new Set([
  'import_chunks',
  'import_errors',
  'import_jobs',
  'signing_keys',
]);

/**
 * Indexes that serve a statement across every tenant, so they lead with the order that
 * statement reads in, with the reason. A non-unique index needs no distribution column (on
 * Citus each shard keeps its own and the coordinator merges the shards' first rows), so
 * these are not debts.
 */
const ACROSS_TENANTS_INDEXES = new Map([
  [
    'log_streams_due',
    // Checked below: the poll is served by it. Led by tenant_id it could not give the due
    // order, and every poll would read and sort every active stream of every tenant.
    "the deliverer's poll of the due streams of every tenant, in next_attempt_at order",
  ],
]);

interface KeyRow {
  table: string;
  name: string;
  kind: string;
  first: string | null;
}

describe('tenant_id leads every key (catalog)', () => {
  let t: TestApp;
  let tenantTables: string[];

  beforeAll(async () => {
    t = await createTestApp();
    const rows: { table: string }[] = await t.db.query(
      `SELECT c.relname AS table FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1`,
    );
    tenantTables = rows.map((r) => r.table).filter((name) => !GLOBAL_TABLES.has(name));
    // Enough rows that the planner's choices are those of a real tenant, not of an empty table.
    await t.db.query(
      `INSERT INTO users (id, tenant_id, user_name, created)
       SELECT gen_random_uuid(), $1, 'plan-' || i, now() - i * interval '1 second'
       FROM generate_series(1, 5000) AS i`,
      [t.tenant],
    );
    await bulkRecords(t, 5000, 'plan-correlation');
    await t.db.query('ANALYZE users');
    await t.db.query('ANALYZE audit_records');
  });
  afterAll(() => t.close());

  it('finds the tenant tables, each with a tenant_id column', async () => {
    expect(tenantTables).toEqual(
      expect.arrayContaining(['users', 'clients', 'devices', 'audit_records', 'ciba_requests']),
    );
    const missing: { table: string }[] = await t.db.query(
      `SELECT c.relname AS table FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relname = ANY($1)
         AND NOT EXISTS (SELECT 1 FROM pg_attribute a
                         WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)`,
      [tenantTables],
    );
    expect(missing.map((m) => m.table).filter((name) => !NOT_YET_BY_TENANT.has(name))).toEqual([]);
  });

  it('leads every primary key, unique constraint and index with tenant_id', async () => {
    // indkey[0] is 0 for an expression: such an index does not lead with a column at all.
    const keys: KeyRow[] = await t.db.query(
      `SELECT c.relname AS table, i.relname AS name,
              CASE WHEN x.indisprimary THEN 'primary key'
                   WHEN x.indisunique THEN 'unique' ELSE 'index' END AS kind,
              a.attname AS first
       FROM pg_index x
       JOIN pg_class c ON c.oid = x.indrelid
       JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = x.indkey[0]
       WHERE n.nspname = 'public' AND c.relname = ANY($1)
       ORDER BY 1, 2`,
      [tenantTables],
    );
    expect(keys.length).toBeGreaterThan(15);
    const wrong = keys
      .filter((k) => k.first !== 'tenant_id' && !NOT_YET_BY_TENANT.has(k.table))
      .filter((k) => !ACROSS_TENANTS_INDEXES.has(k.name))
      .map((k) => `${k.kind} ${k.name} on ${k.table} leads with ${k.first ?? 'an expression'}`);
    expect(wrong).toEqual([]);
  });

  it('carries tenant_id in every foreign key between tenant tables', async () => {
    const fks: { table: string; name: string; columns: string[]; target: string }[] =
      await t.db.query(
        `SELECT c.relname AS table, k.conname AS name, f.relname AS target,
                array(SELECT a.attname FROM unnest(k.conkey) AS u(n)
                      JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n)::text[] AS columns
         FROM pg_constraint k
         JOIN pg_class c ON c.oid = k.conrelid
         JOIN pg_class f ON f.oid = k.confrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE k.contype = 'f' AND n.nspname = 'public'
         ORDER BY 1, 2`,
      );
    expect(fks.length).toBeGreaterThan(5);
    const crossing = fks
      .filter((fk) => !GLOBAL_TABLES.has(fk.target) && !NOT_YET_BY_TENANT.has(fk.table))
      .filter((fk) => !fk.columns.includes('tenant_id'))
      .map((fk) => `${fk.name} on ${fk.table} (${fk.columns.join(', ')}) → ${fk.target}`);
    expect(crossing).toEqual([]);
  });

  it('names tenant_id in every repository statement on a tenant table', () => {
    const sources = files(join(__dirname, '..', '..', 'src')).filter((f) =>
      /\.(repository|queries)\.ts$/.test(f),
    );
    expect(sources.length).toBeGreaterThan(8);
    const checked = tenantTables.filter((name) => !NOT_YET_BY_TENANT.has(name));
    const table = new RegExp(
      `\\b(?:FROM|JOIN|UPDATE|INTO)\\s+(${checked.join('|')})\\b(?!\\s*\\()`,
      'i',
    );
    const unscoped: string[] = [];
    for (const file of sources) {
      // Statements are string and template literals; each must name the tenant column (or the
      // search table's tenantColumn, which the search statement applies first).
      for (const literal of readFileSync(file, 'utf8').match(/`[^`]*`|'[^'\n]*'/g) ?? []) {
        const found = table.exec(literal);
        if (found && !/tenant_id|tenantColumn/.test(literal)) {
          unscoped.push(`${file.split('/src/')[1]}: ${literal.replace(/\s+/g, ' ').slice(0, 90)}`);
        }
      }
    }
    expect(unscoped).toEqual([]);
  });

  it('still serves a user, the users list and audit searches from their indexes', async () => {
    const plan = async (sql: string, params: unknown[]) => {
      const runner = t.db.createQueryRunner();
      try {
        await runner.query('BEGIN');
        await runner.query('SET LOCAL enable_seqscan = off');
        const rows: { 'QUERY PLAN': string }[] = await runner.query(`EXPLAIN ${sql}`, params);
        await runner.query('ROLLBACK');
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      } finally {
        await runner.release();
      }
    };
    const id = '0190a000-0000-7000-8000-000000000000';
    expect(
      await plan('SELECT * FROM users WHERE tenant_id = $1 AND id = $2', [t.tenant, id]),
    ).toMatch(/users_pkey/);
    expect(
      await plan('SELECT id FROM users WHERE tenant_id = $1 ORDER BY created, id LIMIT 100', [
        t.tenant,
      ]),
    ).toMatch(/users_tenant_created/);
    expect(
      await plan('SELECT id FROM users WHERE tenant_id = $1 AND lower(user_name) = lower($2)', [
        t.tenant,
        'a',
      ]),
    ).toMatch(/users_tenant_user_name/);
    expect(
      await plan(
        `SELECT id FROM audit_records WHERE tenant_id = $1 AND correlation_id = $2
         ORDER BY created, id LIMIT 100`,
        [t.tenant, 'x'],
      ),
    ).toMatch(/audit_records_tenant_correlation_created/);
    expect(
      await plan('SELECT id FROM audit_records WHERE tenant_id = $1 AND request_id::text = $2', [
        t.tenant,
        id,
      ]),
    ).toMatch(/audit_records_tenant_request_id/);
    expect(
      await plan('SELECT id FROM audit_records WHERE tenant_id = $1 AND id = $2', [t.tenant, id]),
    ).toMatch(/audit_records_pkey/);
    // The one index that does not lead with tenant_id (ACROSS_TENANTS_INDEXES) earns its place.
    expect(
      await plan(
        `SELECT tenant_id, id FROM log_streams
         WHERE status = 'active' AND next_attempt_at <= now()
           AND (lease_until IS NULL OR lease_until < now())
         ORDER BY next_attempt_at LIMIT $1`,
        [50],
      ),
    ).toMatch(/log_streams_due/);
    expect(
      await plan('SELECT id FROM log_streams WHERE tenant_id = $1 AND id = $2', [t.tenant, id]),
    ).toMatch(/log_streams_pkey/);
  });
});

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}
