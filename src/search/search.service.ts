import { Inject, Injectable } from '@nestjs/common';
import { scimError } from '../common/api-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DatabaseError } from '../database/database-error';
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
import { SearchTable } from './search.queries';
import { SearchRepository } from './search.repository';

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

export interface SearchRow {
  id: string;
  sort_key: string | null;
}

export interface SearchPage<Row> {
  /** Every match counted; undefined on a cursor page when SEARCH_CURSOR_TOTAL is `omit`. */
  total: number | undefined;
  rows: Row[];
  startIndex: number;
  /** True when the client paged by cursor: the response then carries nextCursor, not startIndex. */
  byCursor: boolean;
  nextCursor?: string;
  /** The compiled filter, for follow-up queries over the same matches (Events' taint check). */
  filter?: { sql: string; params: unknown[] };
}

/**
 * Runs SCIM searches: filter → SQL, sort, index or cursor (keyset) paging, and an exact
 * totalResults from the same statement (left out of cursor pages with SEARCH_CURSOR_TOTAL=omit),
 * on the search connections (SearchRepository), where a statement stops after
 * SEARCH_STATEMENT_TIMEOUT_MS; a timeout answers 400 tooMany rather than 5xx.
 */
@Injectable()
export class SearchService {
  private secret?: Promise<Buffer>;

  constructor(
    private readonly searches: SearchRepository,
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
    // RFC 9865 leaves totalResults optional on cursor pages; counting every match is what
    // makes a broad search's first page slow, so SEARCH_CURSOR_TOTAL=omit skips it there.
    // Index paging and count=0 (a request for the total alone) always count.
    const count = !(byCursor && limit > 0 && this.config.searchCursorTotal === 'omit');
    const result = await this.searches.page<Row>(spec.table, tenant, {
      filter,
      after,
      orderBy: keysetOrderBy(order),
      keyColumn: keysetKeyColumn(order),
      params: params.values,
      offset: byCursor ? 0 : request.startIndex - 1,
      // One more row than asked tells whether a next page exists.
      limit: byCursor && limit > 0 ? limit + 1 : limit,
      count,
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

  private translate(error: unknown): unknown {
    if (error instanceof DatabaseError && error.isQueryCanceled()) {
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
      this.secret = this.searches.cursorSecret();
      this.secret.catch(() => (this.secret = undefined));
    }
    return this.secret;
  }
}

const now = (): number => Math.floor(Date.now() / 1000);
