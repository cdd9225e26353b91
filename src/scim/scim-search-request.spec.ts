import { ApiError } from '../common/api-error';
import { readSearchBody, readSearchRequest } from './scim-search-request';

const SEARCH_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

function errorOf(run: () => unknown): ApiError {
  try {
    run();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected an ApiError');
}

describe('readSearchRequest', () => {
  const read = (source: Record<string, unknown>, cursor = true) =>
    readSearchRequest(source, { cursor });

  it('applies the defaults', () => {
    expect(read({})).toEqual({ sortOrder: 'ASC', startIndex: 1, count: 100 });
  });

  it("reads HID's sample: startIndex 0 is 1", () => {
    expect(read({ filter: 'correlationId eq f058ebd6-02f7', startIndex: 0, count: 10 })).toEqual({
      filter: 'correlationId eq f058ebd6-02f7',
      sortOrder: 'ASC',
      startIndex: 1,
      count: 10,
    });
  });

  it('reads query-string text and body numbers alike', () => {
    expect(read({ startIndex: '3', count: '2000' })).toMatchObject({ startIndex: 3, count: 1000 });
    expect(read({ count: -4 }).count).toBe(0);
  });

  it('treats a blank sortBy as none, and refuses a blank filter', () => {
    expect(read({ sortBy: '' })).toEqual(read({}));
    for (const filter of ['', '  ']) {
      expect(() => read({ filter })).toThrow(
        expect.objectContaining({ status: 400, code: 'invalidFilter' }),
      );
    }
  });

  it('reads sortOrder, attributes as lists or comma text', () => {
    expect(
      read({
        sortBy: ' created ',
        sortOrder: 'Descending',
        attributes: 'id, correlationId',
        excludedAttributes: ['meta'],
      }),
    ).toMatchObject({
      sortBy: 'created',
      sortOrder: 'DESC',
      attributes: ['id', 'correlationId'],
      excludedAttributes: ['meta'],
    });
  });

  it('keeps an empty cursor: it asks for the first page', () => {
    expect(read({ cursor: '' }).cursor).toBe('');
    expect(read({ cursor: 'abc', startIndex: 1 }).cursor).toBe('abc');
  });

  it.each<[string, Record<string, unknown>, boolean]>([
    ['a cursor with a startIndex beyond 1', { cursor: '', startIndex: 2 }, true],
    ['a cursor where only index paging is offered', { cursor: '' }, false],
    ['a filter that is not text', { filter: 42 }, true],
    ['a repeated query parameter', { filter: ['a', 'b'] }, true],
    ['a fractional count', { count: 1.5 }, true],
    ['an unknown sortOrder', { sortOrder: 'up' }, true],
  ])('refuses %s with invalidValue', (_label, source, cursor) => {
    const error = errorOf(() => read(source, cursor));
    expect(error).toMatchObject({ status: 400, options: { scimType: 'invalidValue' } });
  });
});

describe('readSearchBody', () => {
  it('accepts a SearchRequest, with or without schemas, and no body at all', () => {
    expect(readSearchBody({ schemas: [SEARCH_REQUEST], count: 1 })).toEqual({
      schemas: [SEARCH_REQUEST],
      count: 1,
    });
    expect(readSearchBody({ count: 1 })).toEqual({ count: 1 });
    expect(readSearchBody(undefined)).toEqual({});
  });

  it('refuses a body that is not a SearchRequest', () => {
    expect(errorOf(() => readSearchBody([1])).options.scimType).toBe('invalidSyntax');
    expect(errorOf(() => readSearchBody('filter')).options.scimType).toBe('invalidSyntax');
    expect(errorOf(() => readSearchBody({ schemas: ['urn:x'] })).options.scimType).toBe(
      'invalidValue',
    );
  });
});
