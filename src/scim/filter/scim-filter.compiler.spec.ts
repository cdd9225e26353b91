import { compileScimFilter, compileSortBy, SqlParams } from './scim-filter.compiler';
import { compile, compileError, EMAILS, errorOf, schema } from './scim-filter.compiler.fixture';
import { parseScimFilter } from './scim-filter.parser';
import { FilterSchema } from './scim-filter.schema';

describe('compileScimFilter', () => {
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

    describe('with the resource schema URN declared', () => {
      const owned: FilterSchema = { ...schema, schema: 'urn:example:Event' };
      const run = (filter: string) => {
        const params = new SqlParams();
        return { sql: compileScimFilter(parseScimFilter(filter), owned, params), params };
      };

      it('takes the resource URN in any case and refuses another', () => {
        expect(run('URN:Example:EVENT:coi eq "x"').sql).toBe('r.coi = $1');
        expect(run('emails[urn:example:Event:type eq "work"]').sql).toContain("->> 'type'");
        expect(() => run('urn:example:Other:coi eq "x"')).toThrow(
          'unknown schema "urn:example:Other" at position 0',
        );
      });

      it('compares schemas with the URN', () => {
        const { sql, params } = run('schemas eq "urn:example:event"');
        expect(sql).toBe("lower('urn:example:Event') = lower($1::text)");
        expect(params.values).toEqual(['urn:example:event']);
      });
    });

    it('knows schemas only when the URN is declared', () => {
      expect(compileError('schemas eq "x"').message).toMatch(/unknown attribute "schemas"/);
    });

    it('reads pr on a complex attribute as any of its sub-attributes present', () => {
      const { sql } = compile('actingUserId pr');
      expect(sql).toBe(
        "((r.acting_user_id IS NOT NULL AND r.acting_user_id <> '') OR " +
          "(r.acting_session_id IS NOT NULL AND r.acting_session_id <> ''))",
      );
      expect(compileError('actingUserId eq "x"').message).toMatch(/unknown attribute/);
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
