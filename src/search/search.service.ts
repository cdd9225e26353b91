import { Inject, Injectable } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { scimError } from '../common/api-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import {
  compileScimFilter,
  compileSortBy,
  FilterSchema,
  parseScimFilter,
  ScalarType,
  SqlParams,
} from '../scim/filter';
import { CursorBinding, openCursor, sealCursor } from '../scim/scim-cursor';
import { KeysetOrder, keysetAfter, keysetKeyColumn, keysetOrderBy } from '../scim/scim-keyset';
import { SearchRequest } from '../scim/scim-search-request';
import { SearchDatabase } from './search-database';

/** What a searchable resource declares once. */
export interface SearchSpec {
  /** The resource's endpoint name; cursors are bound to it. */
  resource: string;
  schema: FilterSchema;
  defaultSort: { sql: string; type: ScalarType };
  /** The uuid id column that breaks ties, e.g. `r.id`. */
  id: string;
  /** Sort-key SQL (as compileSortBy returns it) that is never NULL. */
  notNull: ReadonlySet<string>;
  /** What the search reads. */
  table: SearchTable;
}

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
  const sql = `SELECT t.search_total, p.* FROM
      (SELECT count(*)::int AS search_total FROM ${table.from} WHERE ${where(filter)}) AS t
    LEFT JOIN LATERAL (${rows}) AS p ON true`;
  return { sql, params: [tenant, ...q.params, q.offset, q.limit] };
}

/** Splits the statement's rows into the page and the total. */
export function searchResult<Row extends { id: string | null }>(
  rows: (Row & { search_total: number })[],
): { rows: Row[]; total: number } {
  const total = rows[0]?.search_total ?? 0;
  const page = rows
    .filter((r) => r.id !== null)
    .map(({ search_total: _total, ...row }) => row as unknown as Row);
  return { rows: page, total };
}

export interface SearchRow {
  id: string;
  sort_key: string | null;
}

export interface SearchPage<Row> {
  total: number;
  rows: Row[];
  startIndex: number;
  /** True when the client paged by cursor: the response then carries nextCursor, not startIndex. */
  byCursor: boolean;
  nextCursor?: string;
  /** The compiled filter, for follow-up queries over the same matches (Events' taint check). */
  filter?: { sql: string; params: unknown[] };
}

const QUERY_CANCELED = '57014';

/**
 * Runs SCIM searches: filter → SQL, sort, index or cursor (keyset) paging, and an exact
 * totalResults from the same statement, on the search connections (SearchDatabase), where a
 * statement stops after SEARCH_STATEMENT_TIMEOUT_MS; a timeout answers 400 tooMany rather
 * than 5xx.
 */
@Injectable()
export class SearchService {
  private secret?: Promise<Buffer>;

  constructor(
    private readonly db: SearchDatabase,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Runs a read of searchable resources (`page` and whatever else it reads), answering a
   * statement the timeout cancelled with 400 tooMany.
   */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw this.translate(error);
    }
  }

  /** A page of a resource's search, a timeout worded as `run` does: a SCIM list. */
  list<Row extends SearchRow>(
    tenant: string,
    spec: SearchSpec,
    request: SearchRequest,
  ): Promise<SearchPage<Row>> {
    return this.run(() => this.page<Row>(tenant, spec, request));
  }

  /** Meant to run inside `run`, which words a timeout. */
  async page<Row extends SearchRow>(
    tenant: string,
    spec: SearchSpec,
    request: SearchRequest,
  ): Promise<SearchPage<Row>> {
    const params = new SqlParams(2);
    const filter = request.filter
      ? compileScimFilter(parseScimFilter(request.filter), spec.schema, params)
      : undefined;
    const filterParams = [...params.values];
    const sort = request.sortBy
      ? compileSortBy(request.sortBy, spec.schema, params)
      : spec.defaultSort;
    const order: KeysetOrder = {
      key: sort.sql,
      type: sort.type,
      nullable: !spec.notNull.has(sort.sql),
      id: spec.id,
      direction: request.sortOrder,
    };
    const byCursor = request.cursor !== undefined;
    const binding: CursorBinding = {
      tenant,
      resource: spec.resource,
      filter: request.filter,
      sortBy: request.sortBy,
      sortOrder: request.sortOrder,
    };
    const after = request.cursor
      ? keysetAfter(order, openCursor(await this.key(), binding, request.cursor, now()), params)
      : undefined;
    const limit = request.count;
    const result = await this.read<Row>(spec.table, tenant, {
      filter,
      after,
      orderBy: keysetOrderBy(order),
      keyColumn: keysetKeyColumn(order),
      params: params.values,
      offset: byCursor ? 0 : request.startIndex - 1,
      // One more row than asked tells whether a next page exists.
      limit: byCursor && limit > 0 ? limit + 1 : limit,
    });
    let rows = result.rows;
    let nextCursor: string | undefined;
    if (byCursor && rows.length > limit) {
      rows = rows.slice(0, limit);
      const last = rows[rows.length - 1];
      nextCursor = sealCursor(
        await this.key(),
        binding,
        { key: last.sort_key, id: last.id },
        now(),
      );
    }
    return {
      total: result.total,
      rows,
      startIndex: request.startIndex,
      byCursor,
      ...(nextCursor ? { nextCursor } : {}),
      ...(filter ? { filter: { sql: filter, params: filterParams } } : {}),
    };
  }

  /** A page and the total, in one prepared statement on the search connections. */
  private async read<Row extends SearchRow>(
    table: SearchTable,
    tenant: string,
    q: SearchQuery,
  ): Promise<{ rows: Row[]; total: number }> {
    const { sql, params } = searchStatement(table, tenant, q);
    return searchResult(
      await this.db.query<Row & { search_total: number }>(sql, params, { prepare: true }),
    );
  }

  private translate(error: unknown): unknown {
    if (
      error instanceof QueryFailedError &&
      (error.driverError as { code?: string } | undefined)?.code === QUERY_CANCELED
    ) {
      return scimError(
        400,
        'tooMany',
        `The search took longer than ${this.config.searchStatementTimeoutMs} ms; narrow the filter (an indexed attribute such as correlationId, coi, requestId or a created range helps)`,
      );
    }
    return error;
  }

  /** The cursor key, read once. */
  private key(): Promise<Buffer> {
    if (!this.secret) {
      this.secret = this.db
        .query<{ secret: Buffer }>('SELECT secret FROM search_cursor_keys WHERE id = 1')
        .then((rows) => {
          if (!rows[0]) throw new Error('search_cursor_keys has no key');
          return rows[0].secret;
        });
      this.secret.catch(() => (this.secret = undefined));
    }
    return this.secret;
  }
}

const now = (): number => Math.floor(Date.now() / 1000);
