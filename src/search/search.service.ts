import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, QueryFailedError } from 'typeorm';
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
}

/**
 * One page to read. SQL fragments come from the schema; `params` fill `$2…` (`$1` is the
 * tenant, which the repository always applies), then the source appends offset and limit.
 */
export interface PageQuery {
  filter?: string;
  after?: string;
  orderBy: string;
  keyColumn: string;
  params: unknown[];
  offset: number;
  limit: number;
}

export interface CountQuery {
  filter?: string;
  params: unknown[];
}

export interface SearchSource<Row> {
  page(query: PageQuery): Promise<Row[]>;
  count(query: CountQuery): Promise<number>;
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
 * Runs SCIM searches: filter → SQL, sort, index or cursor (keyset) paging, totalResults; each
 * in one REPEATABLE READ transaction (so the count and the page agree) whose statements stop
 * after SEARCH_STATEMENT_TIMEOUT_MS, a timeout answering 400 tooMany rather than 5xx.
 */
@Injectable()
export class SearchService {
  private secret?: Promise<Buffer>;

  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Runs `fn` in a search transaction; whatever it records commits with it. */
  inTransaction<T>(fn: () => Promise<T>): Promise<T> {
    return this.txHost.withTransaction(async () => {
      // One round trip for both settings (the timeout is a validated integer, not client text).
      const timeout = Math.trunc(this.config.searchStatementTimeoutMs);
      await this.txHost.tx.query(
        `SET TRANSACTION ISOLATION LEVEL REPEATABLE READ; SET LOCAL statement_timeout = ${timeout}`,
      );
      try {
        return await fn();
      } catch (error) {
        throw this.translate(error);
      }
    });
  }

  /** Must run inside `inTransaction`. */
  async page<Row extends SearchRow>(
    tenant: string,
    spec: SearchSpec,
    request: SearchRequest,
    source: SearchSource<Row>,
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
    const offset = byCursor ? 0 : request.startIndex - 1;
    const limit = request.count;

    let rows: Row[] = [];
    if (limit > 0) {
      rows = await source.page({
        filter,
        after,
        orderBy: keysetOrderBy(order),
        keyColumn: keysetKeyColumn(order),
        params: params.values,
        offset,
        // One more row than asked tells whether a next page exists.
        limit: byCursor ? limit + 1 : limit,
      });
    }
    const hasMore = byCursor && rows.length > limit;
    let nextCursor: string | undefined;
    if (hasMore) {
      rows = rows.slice(0, limit);
      const last = rows[rows.length - 1];
      nextCursor = sealCursor(
        await this.key(),
        binding,
        { key: last.sort_key, id: last.id },
        now(),
      );
    }
    // A short page read from the first match on ends the matches, so the total is known
    // without a count: the common case of a search for one correlation id or COI.
    const lastPage = byCursor ? !hasMore : rows.length < limit;
    const total =
      limit > 0 && !after && lastPage && (rows.length > 0 || offset === 0)
        ? offset + rows.length
        : await source.count({ filter, params: filterParams });
    return {
      total,
      rows,
      startIndex: request.startIndex,
      byCursor,
      ...(nextCursor ? { nextCursor } : {}),
      ...(filter ? { filter: { sql: filter, params: filterParams } } : {}),
    };
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

  private key(): Promise<Buffer> {
    if (!this.secret) {
      this.secret = this.dataSource
        .query<{ secret: Buffer }[]>('SELECT secret FROM search_cursor_keys WHERE id = 1')
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
