/**
 * The SQL of a SCIM search. Every fragment comes from the resource's module or the filter
 * compiler; values are always parameters.
 */

/**
 * One page and the total, to be read in one statement (one snapshot, one round trip). SQL
 * fragments come from the schema; `params` fill `$2…` (`$1` is the tenant, which the query
 * always applies).
 */
export interface SearchQuery {
  filter?: string;
  after?: string;
  orderBy: string;
  keyColumn: string;
  params: unknown[];
  offset: number;
  limit: number;
  /** False leaves the count out: the statement reads the page only (a cheap cursor page). */
  count?: boolean;
}

/** The table a search reads; every fragment is fixed SQL from the resource's module. */
export interface SearchTable {
  /** e.g. `audit_records r` */
  from: string;
  /** e.g. `r.tenant_id` */
  tenantColumn: string;
  /** The selected columns, qualified with the alias. */
  columns: string;
  /**
   * What the answer holds instead of `columns`, when it is costly to compute: expressions
   * over the page subquery `page` (whose columns are `columns` and `sort_key`), so they are
   * computed for the page's rows only and never for the rows an OFFSET skips.
   */
  pageColumns?: string;
}

/**
 * The SQL of a SearchQuery: the count and the page in one statement, so they come from one
 * snapshot in one round trip. The tenant condition comes first and the filter is one
 * parenthesised term, so no filter can reach another tenant's rows.
 */
export function searchStatement(
  table: SearchTable,
  tenant: string,
  q: SearchQuery,
): { sql: string; params: unknown[] } {
  const where = (...terms: (string | undefined)[]) =>
    [`${table.tenantColumn} = $1`, ...terms.filter(Boolean)].join(' AND ');
  const filter = q.filter !== undefined ? `(${q.filter})` : undefined;
  const n = q.params.length + 1;
  const page = `SELECT ${table.columns}, ${q.keyColumn} AS sort_key FROM ${table.from}
      WHERE ${where(filter, q.after)}
      ORDER BY ${q.orderBy} OFFSET $${n + 1} LIMIT $${n + 2}`;
  const rows = table.pageColumns
    ? `SELECT ${table.pageColumns}, page.sort_key FROM (${page}) AS page`
    : page;
  if (q.count === false) {
    return {
      sql: `SELECT NULL::int AS search_total, p.* FROM (${rows}) AS p`,
      params: [tenant, ...q.params, q.offset, q.limit],
    };
  }
  const sql = `SELECT t.search_total, p.* FROM
      (SELECT count(*)::int AS search_total FROM ${table.from} WHERE ${where(filter)}) AS t
    LEFT JOIN LATERAL (${rows}) AS p ON true`;
  return { sql, params: [tenant, ...q.params, q.offset, q.limit] };
}

/** Splits the statement's rows into the page and the total (undefined when not counted). */
export function searchResult<Row extends { id: string | null }>(
  rows: (Row & { search_total: number | null })[],
  counted = true,
): { rows: Row[]; total: number | undefined } {
  const total = counted ? (rows[0]?.search_total ?? 0) : undefined;
  const page = rows
    .filter((r) => r.id !== null)
    .map(({ search_total: _total, ...row }) => row as unknown as Row);
  return { rows: page, total };
}

/** The key that seals cursors, made by a migration. */
export const CURSOR_KEY_SQL = 'SELECT secret FROM search_cursor_keys WHERE id = 1';
