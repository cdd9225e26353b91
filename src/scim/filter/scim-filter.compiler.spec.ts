import { compileScimFilter, compileSortBy, SqlParams } from './scim-filter.compiler';
import { ScimFilterError } from './scim-filter.error';
import { parseScimFilter } from './scim-filter.parser';
import { FilterSchema } from './scim-filter.schema';

/** Modelled on the audit table, plus a user's emails to exercise multi-valued attributes. */
const schema: FilterSchema = {
  attributes: {
    id: { kind: 'scalar', type: 'string', caseExact: true, sql: 'r.id::text' },
    correlationid: { kind: 'scalar', type: 'string', caseExact: true, sql: 'r.correlation_id' },
    coi: { kind: 'scalar', type: 'string', caseExact: true, sql: 'r.coi' },
    'action.actionname': { kind: 'scalar', type: 'string', caseExact: true, sql: 'r.action_name' },
    'action.actionparameters': { kind: 'map', jsonb: 'r.action_parameters', caseExact: true },
    'action.actionparameters.coi': {
      kind: 'scalar',
      type: 'string',
      caseExact: true,
      sql: 'r.coi',
    },
    result: { kind: 'scalar', type: 'string', caseExact: true, sql: 'r.result' },
    message: { kind: 'scalar', type: 'string', caseExact: false, sql: 'r.message' },
    'actinguserid.id': { kind: 'scalar', type: 'string', caseExact: true, sql: 'r.acting_user_id' },
    'actinguserid.session.id': {
      kind: 'scalar',
      type: 'string',
      caseExact: true,
      sql: 'r.acting_session_id',
    },
    created: { kind: 'scalar', type: 'dateTime', caseExact: true, sql: 'r.created' },
    active: { kind: 'scalar', type: 'boolean', caseExact: true, sql: 'r.active' },
    count: { kind: 'scalar', type: 'number', caseExact: true, sql: 'r.count' },
    emails: {
      kind: 'multi',
      jsonb: "u.resource->'emails'",
      sub: {
        value: { name: 'value', type: 'string', caseExact: false },
        type: { name: 'type', type: 'string', caseExact: false },
        primary: { name: 'primary', type: 'boolean', caseExact: true },
      },
    },
  },
};

const EMAILS =
  "jsonb_array_elements(CASE WHEN jsonb_typeof(u.resource->'emails') = 'array' THEN u.resource->'emails' ELSE '[]'::jsonb END)";

function compile(text: string, startAt = 1): { sql: string; values: unknown[] } {
  const params = new SqlParams(startAt);
  const sql = compileScimFilter(parseScimFilter(text), schema, params);
  return { sql, values: params.values };
}

function errorOf(run: () => unknown): ScimFilterError {
  try {
    run();
  } catch (e) {
    if (e instanceof ScimFilterError) return e;
    throw e;
  }
  throw new Error('expected a ScimFilterError');
}

const compileError = (text: string) => errorOf(() => compile(text));

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

describe('compileScimFilter', () => {
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

  describe('attribute resolution', () => {
    it('ignores case in attribute names', () => {
      expect(compile('CORRELATIONID eq "x"').sql).toBe('r.correlation_id = $1');
      expect(compile('Action.ActionName eq "x"').sql).toBe('r.action_name = $1');
    });

    it('strips a schema URN', () => {
      expect(compile('urn:example:params:scim:schemas:audit:2.0:Event:coi eq "x"').sql).toBe(
        'r.coi = $1',
      );
    });

    it('resolves deep paths', () => {
      expect(compile('actingUserId.session.id eq "s"').sql).toBe('r.acting_session_id = $1');
    });

    it('prefers an exact entry over a map key', () => {
      expect(compile('action.actionParameters.COI eq "C1"')).toEqual({
        sql: 'r.coi = $1',
        values: ['C1'],
      });
      expect(compile('action.actionparameters.coi eq "C1"').sql).toBe('r.coi = $1');
    });

    it('normalises schema keys that are not lower-case', () => {
      const mixed: FilterSchema = {
        attributes: { userName: { kind: 'scalar', type: 'string', caseExact: false, sql: 'u.un' } },
      };
      const params = new SqlParams();
      expect(compileScimFilter(parseScimFilter('username pr'), mixed, params)).toBe(
        "(u.un IS NOT NULL AND u.un <> '')",
      );
    });

    it.each([
      ['foo.bar eq 1', 'unknown attribute "foo.bar" at position 0', 0],
      ['coi eq "x" or nope pr', 'unknown attribute "nope" at position 14', 14],
      ['coi.x eq "y"', 'unknown attribute "coi.x" at position 0', 0],
      ['action eq "x"', 'unknown attribute "action" at position 0', 0],
      ['action.actionParameters.a.b eq "x"', 'unknown attribute "action.actionParameters.a.b"', 0],
      ['emails.nope eq "x"', 'unknown attribute "emails.nope" at position 0', 0],
      ['action[nope eq "x"]', 'unknown attribute "action.nope" at position 7', 7],
      ['emails[nope eq "x"]', 'unknown attribute "emails.nope" at position 7', 7],
      ['nope[a eq "x"]', 'unknown attribute "nope" at position 0', 0],
    ])('refuses %s', (text, message, position) => {
      const error = compileError(text);
      expect(error.message).toContain(message);
      expect(error.position).toBe(position);
      expect(error.scimType).toBe('invalidFilter');
    });
  });

  describe('map attributes', () => {
    it('compiles eq on a key to JSONB containment with the key bound', () => {
      expect(compile('action.actionParameters.DSN eq "db1"')).toEqual({
        sql: 'r.action_parameters @> jsonb_build_object($1::text, $2::text)',
        values: ['DSN', 'db1'],
      });
    });

    it('keeps the key as written', () => {
      expect(compile('ACTION.ACTIONPARAMETERS.dsn eq "db1"').values).toEqual(['dsn', 'db1']);
    });

    it.each([
      ['ne "x"', '(r.action_parameters ->> $1::text) IS DISTINCT FROM $2', ['K', 'x']],
      ['co "x"', "(r.action_parameters ->> $1::text) LIKE $2 ESCAPE '\\'", ['K', '%x%']],
      ['gt "x"', '(r.action_parameters ->> $1::text) COLLATE "C" > $2', ['K', 'x']],
      ['eq null', '(r.action_parameters ->> $1::text) IS NULL', ['K']],
      ['eq 7', 'r.action_parameters @> jsonb_build_object($1::text, $2::text)', ['K', '7']],
    ])('compiles a key with %s', (rest, sql, values) => {
      expect(compile(`action.actionParameters.K ${rest}`)).toEqual({ sql, values });
    });

    it('compiles pr on a key, reusing the bound key', () => {
      expect(compile('action.actionParameters.K pr')).toEqual({
        sql: "((r.action_parameters ->> $1::text) IS NOT NULL AND (r.action_parameters ->> $1::text) <> '')",
        values: ['K'],
      });
    });

    it('compiles pr on the map itself as a non-empty object', () => {
      expect(compile('action.actionParameters pr').sql).toBe(
        "(jsonb_typeof(r.action_parameters) = 'object' AND r.action_parameters <> '{}'::jsonb)",
      );
    });

    it('refuses comparing the map itself', () => {
      expect(compileError('action.actionParameters eq "x"').message).toContain(
        'is a map; compare one of its keys',
      );
    });

    it('uses lower() rather than containment on a case-insensitive map', () => {
      const ci: FilterSchema = {
        attributes: { tags: { kind: 'map', jsonb: 't.tags', caseExact: false } },
      };
      const params = new SqlParams();
      expect(compileScimFilter(parseScimFilter('tags.Env eq "Prod"'), ci, params)).toBe(
        'lower((t.tags ->> $1::text)) = lower($2::text)',
      );
      expect(params.values).toEqual(['Env', 'Prod']);
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

  describe('logic', () => {
    it('parenthesises and/or as parsed', () => {
      expect(compile('coi eq "a" or result eq "b" and message eq "c"').sql).toBe(
        '(r.coi = $1 OR (r.result = $2 AND lower(r.message) = lower($3::text)))',
      );
      expect(compile('(coi eq "a" or result eq "b") and message pr').sql).toBe(
        "((r.coi = $1 OR r.result = $2) AND (r.message IS NOT NULL AND r.message <> ''))",
      );
    });

    it('keeps SQL NULL from leaking through not', () => {
      expect(compile('not (coi eq "a")').sql).toBe('NOT COALESCE((r.coi = $1), false)');
      expect(compile('not (coi eq "a" or not (result pr))').sql).toBe(
        "NOT COALESCE(((r.coi = $1 OR NOT COALESCE(((r.result IS NOT NULL AND r.result <> '')), false))), false)",
      );
    });

    it('binds values left to right', () => {
      expect(compile('coi eq "1" and (result eq "2" or id eq "3")').values).toEqual([
        '1',
        '2',
        '3',
      ]);
    });
  });

  describe('complex and multi-valued attributes', () => {
    it('compiles a value path on a complex attribute with the prefix applied', () => {
      expect(compile('action[actionName eq "x" and actionParameters.COI eq "y"]')).toEqual({
        sql: '(r.action_name = $1 AND r.coi = $2)',
        values: ['x', 'y'],
      });
    });

    it('compiles a value path on a map attribute', () => {
      expect(compile('action.actionParameters[DSN eq "d" or COI eq "c"]')).toEqual({
        sql: '(r.action_parameters @> jsonb_build_object($1::text, $2::text) OR r.coi = $3)',
        values: ['DSN', 'd', 'c'],
      });
    });

    it('compiles a value path on a deeper complex attribute', () => {
      expect(compile('actingUserId[session.id eq "s" and id eq "u"]').sql).toBe(
        '(r.acting_session_id = $1 AND r.acting_user_id = $2)',
      );
    });

    it('compiles a value path on a multi-valued attribute to EXISTS', () => {
      expect(compile('emails[type eq "work" and value co "@example.com"]')).toEqual({
        sql:
          `EXISTS (SELECT 1 FROM ${EMAILS} AS scim_e1(v) WHERE ` +
          "(lower((scim_e1.v ->> 'type')) = lower($1::text) AND (scim_e1.v ->> 'value') ILIKE $2 ESCAPE '\\'))",
        values: ['work', '%@example.com%'],
      });
    });

    it('casts typed sub-attributes', () => {
      expect(compile('emails[primary eq true]').sql).toBe(
        `EXISTS (SELECT 1 FROM ${EMAILS} AS scim_e1(v) WHERE (scim_e1.v ->> 'primary')::boolean = $1::boolean)`,
      );
    });

    it('gives each value path its own alias', () => {
      const { sql } = compile('emails[type eq "a"] or not (emails[type eq "b"])');
      expect(sql).toContain('AS scim_e1(v)');
      expect(sql).toContain('AS scim_e2(v)');
      expect(sql).toMatch(/^\(EXISTS .* OR NOT COALESCE\(\(EXISTS .*\), false\)\)$/);
    });

    it('compares a multi-valued attribute without sub-attribute through "value"', () => {
      expect(compile('emails co "@x.org"')).toEqual({
        sql: `EXISTS (SELECT 1 FROM ${EMAILS} AS scim_e1(v) WHERE (scim_e1.v ->> 'value') ILIKE $1 ESCAPE '\\')`,
        values: ['%@x.org%'],
      });
    });

    it('compares a dotted sub-attribute on any element', () => {
      expect(compile('emails.value eq "a@x.org"').sql).toBe(
        `EXISTS (SELECT 1 FROM ${EMAILS} AS scim_e1(v) WHERE lower((scim_e1.v ->> 'value')) = lower($1::text))`,
      );
    });

    it('compiles pr on a multi-valued attribute as a non-empty array', () => {
      expect(compile('emails pr').sql).toBe(
        "(jsonb_typeof(u.resource->'emails') = 'array' AND u.resource->'emails' <> '[]'::jsonb)",
      );
    });

    it('compiles pr on a sub-attribute as any element having it', () => {
      expect(compile('emails.type pr').sql).toBe(
        `EXISTS (SELECT 1 FROM ${EMAILS} AS scim_e1(v) WHERE ((scim_e1.v ->> 'type') IS NOT NULL AND (scim_e1.v ->> 'type') <> ''))`,
      );
    });

    it('reads eq null on a multi-valued attribute as "has no value"', () => {
      expect(compile('emails eq null').sql).toBe(
        "NOT COALESCE(((jsonb_typeof(u.resource->'emails') = 'array' AND u.resource->'emails' <> '[]'::jsonb)), false)",
      );
      expect(compile('emails ne null').sql).toBe(compile('emails pr').sql);
    });

    it('applies operator/type rules to sub-attributes', () => {
      expect(compileError('emails[primary co true]').message).toBe(
        'operator "co" is not valid for boolean attribute "emails.primary" at position 7',
      );
    });

    it('refuses a value filter on a simple attribute', () => {
      expect(compileError('coi[value eq "x"]').message).toContain(
        'attribute "coi" at position 0 is neither complex nor multi-valued',
      );
    });

    it('refuses a multi-segment path inside a multi-valued value filter', () => {
      expect(compileError('emails[value.x eq "a"]').message).toContain(
        'unknown attribute "emails.value.x"',
      );
    });
  });

  describe('injection', () => {
    const payloads = [
      "x' OR 1=1 --",
      '"); DROP TABLE x; --',
      "'; DELETE FROM audit; --",
      '$$; SELECT 1; $$',
      "\\'; SELECT pg_sleep(10); --",
    ];

    it.each(payloads)('binds %j and never puts it in the SQL text', (payload) => {
      const literal = JSON.stringify(payload);
      for (const filter of [
        `coi eq ${literal}`,
        `message co ${literal}`,
        `action.actionParameters.K eq ${literal}`,
        `emails[type eq ${literal}]`,
        `not (result sw ${literal})`,
      ]) {
        const { sql, values } = compile(filter);
        expect(sql).not.toContain(payload);
        expect(sql).not.toContain('DROP');
        expect(sql).not.toContain('pg_sleep');
        const escaped = payload.replace(/[\\%_]/g, '\\$&');
        const bound = values.filter((v): v is string => typeof v === 'string');
        expect(bound.some((v) => v.includes(payload) || v.includes(escaped))).toBe(true);
      }
    });

    it('refuses a quote in a map key at the grammar', () => {
      expect(compileError('action.actionParameters.a\'b eq "x"').message).toContain(
        'invalid attribute name "a\'b"',
      );
    });

    it('binds map keys', () => {
      const { sql, values } = compile('action.actionParameters.Drop_Table ne "x"');
      expect(sql).not.toContain('Drop_Table');
      expect(values).toEqual(['Drop_Table', 'x']);
    });

    it('takes SQL only from the schema: the structure never depends on values', () => {
      const a = compile('coi eq "a" and emails[type eq "b"]').sql;
      const b = compile(`coi eq "x' OR 1=1 --" and emails[type eq "'); DROP TABLE x; --"]`).sql;
      expect(a).toBe(b);
    });
  });
});

describe('compileSortBy', () => {
  const sortBy = (text: string) => {
    const params = new SqlParams(2);
    return { ...compileSortBy(text, schema, params), values: params.values };
  };

  it.each([
    ['created', { sql: 'r.created', type: 'dateTime', values: [] }],
    ['count', { sql: 'r.count', type: 'number', values: [] }],
    ['coi', { sql: 'r.coi COLLATE "C"', type: 'string', values: [] }],
    ['Message', { sql: 'lower(r.message) COLLATE "C"', type: 'string', values: [] }],
    [
      'urn:x:y:actingUserId.session.id',
      { sql: 'r.acting_session_id COLLATE "C"', type: 'string', values: [] },
    ],
    [
      'action.actionParameters.DSN',
      { sql: '(r.action_parameters ->> $2::text) COLLATE "C"', type: 'string', values: ['DSN'] },
    ],
  ])('%s', (text, expected) => {
    expect(sortBy(text)).toEqual(expected);
  });

  it.each([
    ['emails', 'cannot sort by multi-valued attribute "emails"'],
    ['action.actionParameters', 'cannot sort by map attribute "action.actionParameters"'],
    ['nope', 'unknown attribute "nope" at position 0'],
    ['', 'expected an attribute name at position 0, found the end of the attribute'],
    ['coi desc', 'expected the end of the attribute at position 4, found "desc"'],
    ['co"i', 'unterminated string starting at position 2'],
    ['coi)', 'expected the end of the attribute at position 3, found ")"'],
  ])('refuses %j', (text, message) => {
    const error = errorOf(() => sortBy(text));
    expect(error.message).toContain(message);
    expect(error.scimType).toBe('invalidValue');
  });
});
