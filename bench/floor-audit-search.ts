/**
 * The floor of an audit search: the database work the service does for
 * `POST /{tenant}/v2/AuditRecords/.search` with a `correlationId eq` or
 * `action.actionParameters.COI eq` filter (the same count-and-page statement, prepared, with
 * records rendered by the same SQL, and the search's read record inserted through the same
 * trigger), with node:http and pg and nothing else: no framework, no authentication, no
 * logging. What this machine can do for such a search; the service is measured against it.
 */
import { Pool } from 'pg';
import { serveFloor } from './lib/floor-http';
import { v7 as uuidv7 } from 'uuid';
import { AUDIT_RECORD_COLUMNS, auditRecordJsonSql } from '../src/audit/audit-record';
import { AUDIT_DEFAULT_SORT, AUDIT_NOT_NULL_SQL } from '../src/audit/audit.filter-schema';
import { LIST_RESPONSE_SCHEMA } from '../src/scim/scim-constants';
import { KeysetOrder, keysetKeyColumn, keysetOrderBy } from '../src/scim/scim-keyset';
import { searchStatement, SearchTable } from '../src/search/search.queries';

const pool = new Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.SEARCH_POOL_SIZE ?? 4),
});

const TABLE: SearchTable = {
  from: 'audit_records r',
  tenantColumn: 'r.tenant_id',
  columns: AUDIT_RECORD_COLUMNS.map((column) => `r.${column}`).join(', '),
  pageColumns: `page.id, ${auditRecordJsonSql('http://localhost', 'page')} AS resource`,
};
/** The service's default order: created, then id. */
const ORDER: KeysetOrder = {
  key: AUDIT_DEFAULT_SORT.sql,
  type: AUDIT_DEFAULT_SORT.type,
  nullable: !AUDIT_NOT_NULL_SQL.has(AUDIT_DEFAULT_SORT.sql),
  id: 'r.id',
  direction: 'ASC',
};
const COLUMN = { correlationId: 'r.correlation_id', 'action.actionParameters.COI': 'r.coi' };
const FILTER = /^(correlationId|action\.actionParameters\.COI) eq "?([^"]+)"?$/;

const READ_RECORD = `
  INSERT INTO audit_records (id, tenant_id, correlation_id, request_id, service_id, action_name,
    action_parameters, result, acting_user_id, created, hash)
  VALUES ($1, $2, $3, $4, 'FLOOR', 'searchAuditRecords', $5, 'RESPONSE_SUCCESS', 'floor', now(), '')`;

async function search(tenant: string, filter: string, correlationId: string | undefined) {
  const match = FILTER.exec(filter);
  if (!match) throw new Error(`the floor only knows eq on correlationId or COI: ${filter}`);
  const column = COLUMN[match[1] as keyof typeof COLUMN];
  const { sql, params } = searchStatement(TABLE, tenant, {
    filter: `${column} = $2`,
    orderBy: keysetOrderBy(ORDER),
    keyColumn: keysetKeyColumn(ORDER),
    params: [match[2]],
    offset: 0,
    limit: 100,
  });
  const { rows } = await pool.query<{ search_total: number; resource: string | null }>({
    name: `floor_${column}`,
    text: sql,
    values: params,
  });
  const page = rows.filter((r) => r.resource !== null).map((r) => r.resource as string);
  const total = rows[0]?.search_total ?? 0;
  await pool.query({
    name: 'floor_read_record',
    text: READ_RECORD,
    values: [
      uuidv7(),
      tenant,
      correlationId ?? null,
      uuidv7(),
      JSON.stringify({ Action: 'searchAuditRecords', filter, totalResults: String(total) }),
    ],
  });
  return (
    `{"schemas":["${LIST_RESPONSE_SCHEMA}"],"totalResults":${total},` +
    `"startIndex":1,"itemsPerPage":${page.length},"Resources":[${page.join(',')}]}`
  );
}

serveFloor(pool, (req, raw, res) => {
  const tenant = (req.url ?? '').split('/')[1];
  const { filter } = JSON.parse(raw.toString('utf8')) as { filter: string };
  const correlationId = req.headers['x-correlation-id'];
  search(tenant, filter, typeof correlationId === 'string' ? correlationId : undefined).then(
    (body) => res.writeHead(200, { 'content-type': 'application/scim+json' }).end(body),
    (error: Error) => res.writeHead(500).end(error.message),
  );
});
