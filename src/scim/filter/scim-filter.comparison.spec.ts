import { SqlParams } from './scim-filter.compiler';
import { compile, compileError } from './scim-filter.compiler.fixture';

describe('SqlParams', () => {
  it('numbers placeholders from startAt', () => {
    const params = new SqlParams(3);
    expect(params.bind('a')).toBe('$3');
    expect(params.bind(1)).toBe('$4');
    expect(params.values).toEqual(['a', 1]);
  });

  it('continues from a compiled filter', () => {
    expect(compile('coi eq "x" and result eq "y"', 5)).toEqual({
      sql: '(r.coi = $5 AND r.result = $6)',
      values: ['x', 'y'],
    });
  });
});

describe('compileScimFilter: comparing one value', () => {
  describe('string operators', () => {
    it.each([
      ['coi eq "x"', 'r.coi = $1', 'x'],
      ['coi ne "x"', 'r.coi IS DISTINCT FROM $1', 'x'],
      ['coi co "x"', "r.coi LIKE $1 ESCAPE '\\'", '%x%'],
      ['coi sw "x"', "r.coi LIKE $1 ESCAPE '\\'", 'x%'],
      ['coi ew "x"', "r.coi LIKE $1 ESCAPE '\\'", '%x'],
      ['coi gt "x"', 'r.coi COLLATE "C" > $1', 'x'],
      ['coi ge "x"', 'r.coi COLLATE "C" >= $1', 'x'],
      ['coi lt "x"', 'r.coi COLLATE "C" < $1', 'x'],
      ['coi le "x"', 'r.coi COLLATE "C" <= $1', 'x'],
    ])('caseExact: %s', (text, sql, value) => {
      expect(compile(text)).toEqual({ sql, values: [value] });
    });

    it.each([
      ['message eq "X"', 'lower(r.message) = lower($1::text)', 'X'],
      ['message ne "X"', 'lower(r.message) IS DISTINCT FROM lower($1::text)', 'X'],
      ['message co "X"', "r.message ILIKE $1 ESCAPE '\\'", '%X%'],
      ['message sw "X"', "r.message ILIKE $1 ESCAPE '\\'", 'X%'],
      ['message ew "X"', "r.message ILIKE $1 ESCAPE '\\'", '%X'],
      ['message gt "X"', 'lower(r.message) COLLATE "C" > lower($1::text)', 'X'],
      ['message le "X"', 'lower(r.message) COLLATE "C" <= lower($1::text)', 'X'],
    ])('case-insensitive: %s', (text, sql, value) => {
      expect(compile(text)).toEqual({ sql, values: [value] });
    });

    it.each([
      ['coi co "50%"', '%50\\%%'],
      ['coi sw "a_b"', 'a\\_b%'],
      ['coi ew "c:\\\\dir"', '%c:\\\\dir'],
      ['coi co "%_\\\\"', '%\\%\\_\\\\%'],
    ])('escapes LIKE wildcards in %s', (text, bound) => {
      expect(compile(text).values).toEqual([bound]);
    });

    it('keeps eq values verbatim (no LIKE escaping)', () => {
      expect(compile('coi eq "50%_"').values).toEqual(['50%_']);
    });

    it.each([
      ['correlationId eq 123', '123'],
      ['correlationId eq -1.50', '-1.50'],
      ['correlationId eq 1e3', '1e3'],
    ])('compares a number literal on a string attribute as its text: %s', (text, bound) => {
      expect(compile(text)).toEqual({ sql: 'r.correlation_id = $1', values: [bound] });
    });

    it('treats a bare value as a string', () => {
      expect(compile('correlationId eq f058ebd6-02f7-4d3f-942e-904344e8cde5')).toEqual({
        sql: 'r.correlation_id = $1',
        values: ['f058ebd6-02f7-4d3f-942e-904344e8cde5'],
      });
    });

    it('refuses a boolean on a string attribute', () => {
      const error = compileError('correlationId eq true');
      expect(error.message).toBe(
        'string attribute "correlationId" at position 0 needs a string, found true',
      );
    });

    it('compares pr as non-null and non-empty', () => {
      expect(compile('message pr').sql).toBe("(r.message IS NOT NULL AND r.message <> '')");
    });
  });

  describe('number, boolean and dateTime attributes', () => {
    it.each([
      ['count eq 3', 'r.count = $1::numeric', [3]],
      ['count ne 3', 'r.count IS DISTINCT FROM $1::numeric', [3]],
      ['count gt -1.5e3', 'r.count > $1::numeric', [-1500]],
      ['count le 0', 'r.count <= $1::numeric', [0]],
      ['active eq true', 'r.active = $1::boolean', [true]],
      ['active ne FALSE', 'r.active IS DISTINCT FROM $1::boolean', [false]],
      [
        'created gt "2020-12-15T00:00:00Z"',
        'r.created > $1::timestamptz',
        ['2020-12-15T00:00:00Z'],
      ],
      [
        'created eq "2020-12-15T01:00:00+01:00"',
        'r.created = $1::timestamptz',
        ['2020-12-15T01:00:00+01:00'],
      ],
      [
        'created lt "2020-12-15T00:00:00.123456Z"',
        'r.created < $1::timestamptz',
        ['2020-12-15T00:00:00.123456Z'],
      ],
      ['created pr', 'r.created IS NOT NULL', []],
      ['active pr', 'r.active IS NOT NULL', []],
    ])('%s', (text, sql, values) => {
      expect(compile(text)).toEqual({ sql, values });
    });

    it.each([
      ['active co true', 'operator "co" is not valid for boolean attribute "active" at position 0'],
      ['active gt true', 'operator "gt" is not valid for boolean attribute "active" at position 0'],
      ['count sw 1', 'operator "sw" is not valid for number attribute "count" at position 0'],
      [
        'created ew "Z"',
        'operator "ew" is not valid for dateTime attribute "created" at position 0',
      ],
      ['count eq "3"', 'number attribute "count" at position 0 needs a number, found "3"'],
      [
        'active eq "true"',
        'boolean attribute "active" at position 0 needs true or false, found "true"',
      ],
      ['active eq 1', 'boolean attribute "active" at position 0 needs true or false, found 1'],
      ['created gt 2020', 'dateTime attribute "created" at position 0 needs an ISO 8601 date-time'],
      [
        'created gt "yesterday"',
        'invalid date-time "yesterday" for attribute "created" at position 0',
      ],
      ['created gt "2020-02-30T00:00:00Z"', 'invalid date-time "2020-02-30T00:00:00Z"'],
      ['created gt "2020-12-15T00:00:00"', 'invalid date-time "2020-12-15T00:00:00"'],
      ['created gt "2020-12-15"', 'invalid date-time "2020-12-15"'],
    ])('refuses %s', (text, message) => {
      const error = compileError(text);
      expect(error.message).toContain(message);
      expect(error.position).toBe(0);
    });
  });

  describe('null', () => {
    it.each([
      ['coi eq null', 'r.coi IS NULL'],
      ['coi ne null', 'r.coi IS NOT NULL'],
      ['count eq null', 'r.count IS NULL'],
      ['created ne null', 'r.created IS NOT NULL'],
      ['active eq null', 'r.active IS NULL'],
    ])('%s', (text, sql) => {
      expect(compile(text)).toEqual({ sql, values: [] });
    });

    it.each(['coi gt null', 'coi co null', 'count lt null'])('refuses %s', (text) => {
      expect(compileError(text).message).toMatch(/^operator "\w\w" cannot be used with null/);
    });
  });
});
