import { projectAttributes } from '../scim/scim-attributes';
import { listResponse } from '../scim/scim-paging';
import { SearchRequest } from '../scim/scim-search-request';
import { SearchPage } from './search.service';

/**
 * The ListResponse of a search: index paging reports startIndex (RFC 7644 §3.4.2.4), cursor
 * paging reports nextCursor instead, present while more results follow (RFC 9865), and
 * totalResults only when it was counted (SEARCH_CURSOR_TOTAL).
 */
export function searchListResponse<T>(
  resourcesKey: 'Resources' | 'resources',
  page: SearchPage<unknown>,
  resources: T[],
): Record<string, unknown> {
  const extra = page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {};
  const body = listResponse(resourcesKey, page.total ?? 0, page.startIndex, resources, extra);
  if (page.byCursor) delete body.startIndex;
  if (page.total === undefined) delete body.totalResults;
  return body;
}

/**
 * The ListResponse of a search whose rows become resources through `toResource`, each
 * projected by the request's `attributes` / `excludedAttributes`.
 */
export function projectedListResponse<Row>(
  resourcesKey: 'Resources' | 'resources',
  page: SearchPage<Row>,
  request: Pick<SearchRequest, 'attributes' | 'excludedAttributes'>,
  toResource: (row: Row) => Record<string, unknown>,
): Record<string, unknown> {
  const resources = page.rows.map((row) =>
    projectAttributes(toResource(row), request.attributes, request.excludedAttributes),
  );
  return searchListResponse(resourcesKey, page, resources);
}

/**
 * The same ListResponse as JSON text, around resources that are already JSON text (records
 * the database rendered), so they are spliced in rather than parsed and serialised again.
 */
export function searchListJson(
  resourcesKey: 'Resources' | 'resources',
  page: SearchPage<unknown>,
  resources: string[],
): string {
  const { [resourcesKey]: _resources, ...envelope } = searchListResponse(
    resourcesKey,
    page,
    resources,
  );
  return `${JSON.stringify(envelope).slice(0, -1)},"${resourcesKey}":[${resources.join(',')}]}`;
}
