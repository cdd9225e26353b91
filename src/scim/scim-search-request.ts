import { scimError } from '../common/api-error';
import { readAttributeList } from './scim-attributes';
import { SEARCH_REQUEST_SCHEMA } from './scim-constants';
import { readPaging, readString } from './scim-paging';

export type SortDirection = 'ASC' | 'DESC';

/** A SCIM query, from GET parameters or a SearchRequest body (RFC 7644 §3.4.2, §3.4.3). */
export interface SearchRequest {
  filter?: string;
  sortBy?: string;
  sortOrder: SortDirection;
  startIndex: number;
  count: number;
  attributes?: string[];
  excludedAttributes?: string[];
  /**
   * RFC 9865: present (possibly empty, which asks for the first page) when the client pages
   * by cursor; undefined for index paging.
   */
  cursor?: string;
}

export interface SearchRequestOptions {
  /** Whether the endpoint pages by cursor as well as by index. */
  cursor: boolean;
}

/** Reads a POST body: a JSON object, `schemas` naming SearchRequest when it is given. */
export function readSearchBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw scimError(400, 'invalidSyntax', 'The request body must be a SCIM SearchRequest object');
  }
  const schemas = (body as { schemas?: unknown }).schemas;
  if (
    schemas !== undefined &&
    !(Array.isArray(schemas) && schemas.some((s) => s === SEARCH_REQUEST_SCHEMA))
  ) {
    throw scimError(400, 'invalidValue', `schemas must contain ${SEARCH_REQUEST_SCHEMA}`);
  }
  return body as Record<string, unknown>;
}

/**
 * Query parameters and SearchRequest members read the same way. A blank filter is a 400;
 * `startIndex` < 1 is 1 and `count` is capped (see readPaging); a cursor excludes startIndex.
 */
export function readSearchRequest(
  source: Record<string, unknown>,
  options: SearchRequestOptions,
): SearchRequest {
  const paging = readPaging(source.startIndex, source.count);
  const filter = readString(source.filter, 'filter');
  const cursor = readString(source.cursor, 'cursor');
  if (cursor !== undefined) {
    if (!options.cursor) {
      throw scimError(400, 'invalidValue', 'This endpoint pages by startIndex only, not by cursor');
    }
    if (paging.startIndex > 1) {
      throw scimError(400, 'invalidValue', 'Use either cursor or startIndex, not both');
    }
  }
  const request: SearchRequest = {
    sortOrder: readSortOrder(readString(source.sortOrder, 'sortOrder')),
    startIndex: paging.startIndex,
    count: paging.count,
  };
  if (filter !== undefined) {
    // RFC 7644 §3.4.2.2 has no empty filter; answering 200 would hide a client's bug.
    if (filter.trim() === '') throw scimError(400, 'invalidFilter', 'filter is empty');
    request.filter = filter;
  }
  const sortBy = readString(source.sortBy, 'sortBy');
  if (sortBy !== undefined && sortBy.trim() !== '') request.sortBy = sortBy.trim();
  const attributes = readAttributeList(source.attributes);
  if (attributes) request.attributes = attributes;
  const excluded = readAttributeList(source.excludedAttributes);
  if (excluded) request.excludedAttributes = excluded;
  if (cursor !== undefined) request.cursor = cursor;
  return request;
}

export function readSortOrder(value: string | undefined): SortDirection {
  if (value === undefined || value === '' || value.toLowerCase() === 'ascending') return 'ASC';
  if (value.toLowerCase() === 'descending') return 'DESC';
  throw scimError(400, 'invalidValue', 'sortOrder must be "ascending" or "descending"');
}
