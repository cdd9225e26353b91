import { SEARCH_REQUEST_SCHEMA } from '../../src/scim/scim-constants';
import { sealCursor } from '../../src/scim/scim-cursor';
import { loadAuditRecords, searchTargets } from '../lib/audit-loader';
import { BENCH_TENANT, BenchContext, Scenario, ScenarioRow } from '../lib/context';

/**
 * Audit search at scale: BENCH_AUDIT_ROWS records (default 500,000; the target figures are for
 * 10,000,000) over BENCH_AUDIT_TENANTS tenants (50), then searches of one tenant's share.
 */
export const scenario: Scenario = {
  name: 'audit-search',
  description:
    'POST /{tenant}/v2/AuditRecords/.search by correlationId, COI, cursor depth and a non-indexed attribute',
  async run(ctx) {
    const rows = Number(process.env.BENCH_AUDIT_ROWS ?? 500_000);
    const tenants = Number(process.env.BENCH_AUDIT_TENANTS ?? 50);
    const notes: string[] = [];
    // Before loading: it refuses a row count too small for the searches it picks.
    const targets = searchTargets(rows, tenants);

    const tenantName = (t: number) =>
      t === 0 ? BENCH_TENANT : `load-${String(t).padStart(2, '0')}`;
    for (let t = 1; t < tenants; t++) {
      await ctx.pool.query('INSERT INTO tenants (id) VALUES ($1) ON CONFLICT DO NOTHING', [
        tenantName(t),
      ]);
    }
    const [{ present }] = (
      await ctx.pool.query<{ present: number }>(
        'SELECT count(*)::int AS present FROM audit_records',
      )
    ).rows;
    if (present >= rows) {
      // A kept database (BENCH_KEEP_DATABASE) loaded by an earlier run.
      notes.push(
        `reused ${present.toLocaleString('en')} records loaded earlier (kept database); the earlier runs' read records are among them`,
      );
    } else {
      // The service's own start-up records are a handful; more means an interrupted load.
      if (present > 1000)
        throw new Error(
          `audit_records holds ${present} of ${rows} records; drop the kept database`,
        );
      let lastReport = 0;
      const loadSeconds = await loadAuditRecords(ctx.pool, {
        rows,
        tenants,
        tenantName,
        onProgress: (done) => {
          if (done - lastReport >= 1_000_000 || done === rows) {
            lastReport = done;
            process.stderr.write(`  loaded ${done} audit records\n`);
          }
        },
      });
      const vacuumStarted = Date.now();
      // What autovacuum does to an insert-only table; it lets counts run as index-only scans.
      await ctx.pool.query('VACUUM (ANALYZE) audit_records');
      notes.push(
        `loaded ${rows.toLocaleString('en')} records over ${tenants} tenants in ${loadSeconds.toFixed(0)} s ` +
          `(${Math.round(rows / loadSeconds).toLocaleString('en')} rows/s through the trigger), ` +
          `VACUUM ANALYZE ${((Date.now() - vacuumStarted) / 1000).toFixed(0)} s`,
      );
    }
    notes.push(...(await sizes(ctx, rows)));

    const token = await ctx.adminToken();
    /** POST .search with a SearchRequest from `body`, to the service or a floor. */
    const searchRequests = (body: () => Record<string, unknown>, url = ctx.serviceUrl) => ({
      url,
      method: 'POST' as const,
      path: `/${BENCH_TENANT}/v2/AuditRecords/.search`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
      body: () => JSON.stringify({ schemas: [SEARCH_REQUEST_SCHEMA], ...body() }),
    });
    const search = (label: string, body: () => Record<string, unknown>, url?: string) =>
      ctx.measure(searchRequests(body, url)).then((result): ScenarioRow => ({ label, result }));

    let floorServer: string | undefined;
    const floorUrl = async () =>
      (floorServer ??= await ctx.startServer('bench/floor-audit-search.ts', {}));
    const depth = Math.min(100_000, Math.floor(targets.perTenant / 2));
    const deepCursor = await cursorAt(ctx, depth);
    const importCoiSearch = () => ({
      filter: `action.actionParameters.COI eq "${targets.importCoi()}"`,
    });
    const requestSearch = () => ({
      filter: `correlationId eq ${targets.requestCorrelationId()}`,
    });
    /** One connection: what one search costs, or how long a client waits for its answer. */
    const alone = async (label: string, body: () => Record<string, unknown>) => ({
      label: `${label}, 1 connection`,
      result: await ctx.measured({
        ...searchRequests(body),
        connections: 1,
        durationSeconds: ctx.settings.durationSeconds,
      }),
    });
    const floor = await ctx.measure({
      url: ctx.serviceUrl,
      method: 'GET',
      path: `/${BENCH_TENANT}/v2/ServiceProviderConfig`,
      headers: { authorization: `Bearer ${token}` },
    });
    // Every search writes a read record into the searched tenant, so the unfiltered rows,
    // whose cost grows with the tenant's records, run first, while it holds its loaded share.
    const matches = await tenantRecords(ctx);
    const page1 = await search(
      `cursor page 1 (no filter, ${matches.toLocaleString('en')} matches)`,
      () => ({ cursor: '' }),
    );
    const deep = await search(`cursor at depth ${depth.toLocaleString('en')}`, () => ({
      cursor: deepCursor,
    }));
    const request = await search('correlationId eq (a request: 3 records)', requestSearch);
    const importCall = await search('correlationId eq (an import call: 500 records)', () => ({
      filter: `correlationId eq "${targets.importCorrelationId()}"`,
    }));
    const cibaCoi = await search('action.actionParameters.COI eq (a CIBA flow: 3 records)', () => ({
      filter: `action.actionParameters.COI eq "${targets.cibaCoi()}"`,
    }));
    const importCoi = await search(
      'action.actionParameters.COI eq (an import: 500 records)',
      importCoiSearch,
    );
    // The same database work with node:http and pg alone: what the machine allows.
    const floorRequest = await search(
      'floor: correlationId eq (a request)',
      requestSearch,
      await floorUrl(),
    );
    const floorImport = await search(
      'floor: action.actionParameters.COI eq (an import)',
      importCoiSearch,
      await floorUrl(),
    );
    const results: ScenarioRow[] = [
      { label: 'reference: GET ServiceProviderConfig (token check, no database)', result: floor },
      request,
      await alone('correlationId eq (a request)', requestSearch),
      importCall,
      cibaCoi,
      importCoi,
      await alone('action.actionParameters.COI eq (an import)', importCoiSearch),
      floorRequest,
      floorImport,
      page1,
      deep,
      await search("targetUserId.id eq (a user's history, ~20 records)", () => ({
        filter: `targetUserId.id eq "${targets.targetUser()}"`,
      })),
      // Last of the concurrent rows: a few seconds each, so the searches still running when
      // the load tool stops would delay whatever came next.
      await search(
        `startIndex ${(depth + 1).toLocaleString('en')} (OFFSET, for comparison)`,
        () => ({ startIndex: depth + 1 }),
      ),
      // Without an index these read the tenant's whole share; at 16 connections they queue
      // behind each other past the load tool's 10 s timeout, so they are measured alone.
      await alone('action.actionName eq (not indexed, 1 record in 6)', () => ({
        filter: 'action.actionName eq "deleteUser"',
      })),
      await alone('message co (not indexed, substring)', () => ({
        filter: 'message co "TIMEOUT"',
      })),
    ];
    const target = (what: string, p99: number) =>
      `${what}: p99 ${p99} ms at ${ctx.settings.connections} concurrent searches (target < 20 ms at 10M rows)`;
    notes.push(target('correlationId eq, request', request.result.p99));
    notes.push(target('correlationId eq, import call (page of 100)', importCall.result.p99));
    notes.push(target('action.actionParameters.COI eq, CIBA flow', cibaCoi.result.p99));
    notes.push(
      target('action.actionParameters.COI eq, import (page of 100)', importCoi.result.p99),
    );
    notes.push(
      `floor (node:http + pg, same statements and read record): p99 ${floorRequest.result.p99} ms for a request's 3 records, ${floorImport.result.p99} ms for an import's page of 100`,
    );
    notes.push(
      `cursor at depth ${depth.toLocaleString('en')} vs page 1: p50 ${deep.result.p50} vs ${page1.result.p50} ms, p99 ${deep.result.p99} vs ${page1.result.p99} ms`,
    );
    notes.push('every search also writes its searchAuditRecords record (AUDIT_LOG_ACCESS=true)');
    notes.push(
      'non-2xx are 400 tooMany: the search ran out of SEARCH_STATEMENT_TIMEOUT_MS (5000 ms)',
    );
    return {
      title: `Audit search over ${rows.toLocaleString('en')} records, ${tenants} tenants (one tenant's share searched)`,
      rows: results,
      notes,
    };
  },
};

/** How many records the bench tenant holds now. */
async function tenantRecords(ctx: BenchContext): Promise<number> {
  const [{ n }] = (
    await ctx.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM audit_records WHERE tenant_id = $1',
      [BENCH_TENANT],
    )
  ).rows;
  return n;
}

/** A cursor positioned after row `depth` of the default order, as the service makes one. */
async function cursorAt(ctx: BenchContext, depth: number): Promise<string> {
  const [{ secret }] = (
    await ctx.pool.query<{ secret: Buffer }>('SELECT secret FROM search_cursor_keys WHERE id = 1')
  ).rows;
  const [row] = (
    await ctx.pool.query<{ id: string; key: string }>(
      `SELECT id, created::text AS key FROM audit_records WHERE tenant_id = $1
       ORDER BY created, id OFFSET $2 LIMIT 1`,
      [BENCH_TENANT, depth - 1],
    )
  ).rows;
  return sealCursor(
    secret,
    { tenant: BENCH_TENANT, resource: 'AuditRecords', sortOrder: 'ASC' },
    { key: row.key, id: row.id },
    Math.floor(Date.now() / 1000),
  );
}

/** Table and index sizes, whole and per million records. */
async function sizes(ctx: BenchContext, rows: number): Promise<string[]> {
  const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
  const perMillion = (bytes: number) => ((bytes / 2 ** 20) * (1_000_000 / rows)).toFixed(1);
  const [total] = (
    await ctx.pool.query<{ table: string; indexes: string; total: string }>(
      `SELECT pg_table_size('audit_records') AS table, pg_indexes_size('audit_records') AS indexes,
              pg_total_relation_size('audit_records') AS total`,
    )
  ).rows;
  const indexes = (
    await ctx.pool.query<{ name: string; bytes: string }>(
      `SELECT indexrelid::regclass::text AS name, pg_relation_size(indexrelid) AS bytes
       FROM pg_index WHERE indrelid = 'audit_records'::regclass ORDER BY 2 DESC`,
    )
  ).rows;
  return [
    `disk: table ${mb(+total.table)} MB, indexes ${mb(+total.indexes)} MB, total ${mb(+total.total)} MB` +
      ` = ${perMillion(+total.total)} MB per million records (table ${perMillion(+total.table)}, indexes ${perMillion(+total.indexes)})`,
    ...indexes.map(
      (i) => `index ${i.name}: ${mb(+i.bytes)} MB (${perMillion(+i.bytes)} MB per million)`,
    ),
  ];
}
