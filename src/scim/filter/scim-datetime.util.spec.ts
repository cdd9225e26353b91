import { parseScimDateTime } from './scim-datetime.util';

describe('parseScimDateTime', () => {
  it.each([
    ['2020-12-15T00:00:00Z', Date.UTC(2020, 11, 15)],
    ['2020-12-15T01:00:00+01:00', Date.UTC(2020, 11, 15)],
    ['2020-12-14T19:00:00-05:00', Date.UTC(2020, 11, 15)],
    ['2020-12-15t00:00:00.5z', Date.UTC(2020, 11, 15, 0, 0, 0, 500)],
    ['2020-12-15T00:00:00.123456Z', Date.UTC(2020, 11, 15, 0, 0, 0, 123)],
    ['2020-02-29T00:00:00Z', Date.UTC(2020, 1, 29)],
    ['2000-02-29T23:59:59Z', Date.UTC(2000, 1, 29, 23, 59, 59)],
  ])('parses %s', (text, expected) => {
    expect(parseScimDateTime(text)).toBe(expected);
  });

  it('keeps years below 100', () => {
    expect(new Date(parseScimDateTime('0050-01-01T00:00:00Z') ?? NaN).getUTCFullYear()).toBe(50);
  });

  it.each([
    '0000-01-01T00:00:00Z',
    '2020-12-15',
    '2020-12-15T00:00:00',
    '2020-12-15 00:00:00Z',
    '2020-13-01T00:00:00Z',
    '2020-00-01T00:00:00Z',
    '2020-02-30T00:00:00Z',
    '2021-02-29T00:00:00Z',
    '1900-02-29T00:00:00Z',
    '2020-04-31T00:00:00Z',
    '2020-12-15T24:00:00Z',
    '2020-12-15T00:60:00Z',
    '2020-12-15T00:00:60Z',
    '2020-12-15T00:00:00+24:00',
    '2020-12-15T00:00:00.Z',
    'yesterday',
    '',
  ])('refuses %j', (text) => {
    expect(parseScimDateTime(text)).toBeUndefined();
  });
});
