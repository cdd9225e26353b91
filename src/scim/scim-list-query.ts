import {
  compileScimFilter,
  compileSortBy,
  FilterSchema,
  parseScimFilter,
  SqlParams,
} from './filter';
import { Paging, readPaging, readString } from './scim-paging';
import { readSortOrder } from './scim-search-request';

/** A list request (RFC 7644 §3.4.2): paging, filter and sort, from query or SearchRequest. */
export interface ListQuery extends Paging {
  filter?: string;
  sortBy?: string;
  sortOrder?: string;
}

/** The SQL pieces of a list request over one aliased table. */
export interface CompiledListQuery {
  where?: string;
  params: unknown[];
  orderBy: string;
  offset: number;
  limit: number;
}

export function readListQuery(query: Record<string, unknown>): ListQuery {
  return {
    ...readPaging(query.startIndex, query.count),
    filter: readString(query.filter, 'filter'),
    sortBy: readString(query.sortBy, 'sortBy'),
    sortOrder: readString(query.sortOrder, 'sortOrder'),
  };
}

/**
 * Compiles filter and sort against `schema`; placeholders start at $2 ($1 is the tenant).
 * `defaultOrder` (creation order) also breaks ties when sorting by an attribute.
 */
export function compileListQuery(
  query: ListQuery,
  schema: FilterSchema,
  defaultOrder: { created: string; id: string },
): CompiledListQuery {
  const params = new SqlParams(2);
  const where = query.filter
    ? compileScimFilter(parseScimFilter(query.filter), schema, params)
    : undefined;
  let orderBy = `${defaultOrder.created}, ${defaultOrder.id}`;
  if (query.sortBy) {
    const sort = compileSortBy(query.sortBy, schema, params);
    const direction = readSortOrder(query.sortOrder);
    orderBy = `${sort.sql} ${direction} NULLS LAST, ${defaultOrder.id} ${direction}`;
  }
  return {
    where,
    params: params.values,
    orderBy,
    offset: query.startIndex - 1,
    limit: query.count,
  };
}
