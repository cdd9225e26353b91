import { searchListJson, searchListResponse } from './search-response';
import { SearchPage } from './search.service';

describe('searchListJson', () => {
  const resources = ['{"id":"a","n":1}', '{"id":"b","s":"q\\"uote"}'];
  const page = (extra: Partial<SearchPage<unknown>> = {}): SearchPage<unknown> => ({
    total: 7,
    rows: [],
    startIndex: 3,
    byCursor: false,
    ...extra,
  });

  it.each([
    ['index paging', page(), 'Resources' as const],
    [
      'cursor paging with a next page',
      page({ byCursor: true, nextCursor: 'abc.def' }),
      'Resources' as const,
    ],
    ['cursor paging, last page', page({ byCursor: true }), 'Resources' as const],
    ['the lower-case key', page(), 'resources' as const],
  ])('is the ListResponse of %s, with the texts spliced in', (_name, p, key) => {
    const text = searchListJson(key, p, resources);
    expect(JSON.parse(text)).toStrictEqual(
      searchListResponse(
        key,
        p,
        resources.map((r) => JSON.parse(r) as unknown),
      ),
    );
    // Resources come last, as in the object form.
    expect(Object.keys(JSON.parse(text) as object).pop()).toBe(key);
  });

  it('has an empty list for an empty page', () => {
    expect(JSON.parse(searchListJson('Resources', page({ total: 0 }), []))).toMatchObject({
      totalResults: 0,
      itemsPerPage: 0,
      Resources: [],
    });
  });
});
