import { FilterNode } from './scim-filter.ast';
import { ScimFilterError } from './scim-filter.error';
import { parseScimFilter } from './scim-filter.parser';

/** A compact rendering of the tree, so precedence tests read like the filter. */
function show(node: FilterNode): string {
  switch (node.type) {
    case 'and':
    case 'or':
      return `(${show(node.left)} ${node.type} ${show(node.right)})`;
    case 'not':
      return `not ${show(node.expr)}`;
    case 'present':
      return `${node.attr.segments.join('.')} pr`;
    case 'compare': {
      const v = node.value;
      const value =
        v.kind === 'null' ? 'null' : v.kind === 'number' ? v.raw : JSON.stringify(v.value);
      return `${node.attr.segments.join('.')} ${node.op} ${value}`;
    }
    case 'valuePath':
      return `${node.attr.segments.join('.')}[${show(node.filter)}]`;
  }
}

function errorOf(text: string): ScimFilterError {
  try {
    parseScimFilter(text);
  } catch (e) {
    if (e instanceof ScimFilterError) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(text)} to fail`);
}

describe('parseScimFilter', () => {
  describe('operators', () => {
    it.each(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'])('parses %s', (op) => {
      expect(parseScimFilter(`userName ${op} "x"`)).toEqual({
        type: 'compare',
        attr: { segments: ['userName'], position: 0 },
        op,
        value: { kind: 'string', value: 'x' },
      });
    });

    it('parses pr', () => {
      expect(parseScimFilter('title pr')).toEqual({
        type: 'present',
        attr: { segments: ['title'], position: 0 },
      });
    });

    it.each([
      ['USERNAME EQ "x"', 'USERNAME eq "x"'],
      ['userName Eq "x"', 'userName eq "x"'],
      ['title PR', 'title pr'],
      ['a eq 1 AND b eq 2 Or NOT (c eq 3)', '((a eq 1 and b eq 2) or not c eq 3)'],
    ])('is case-insensitive for keywords: %s', (text, expected) => {
      expect(show(parseScimFilter(text))).toBe(expected);
    });

    it('keeps attribute names as written (resolution ignores case)', () => {
      const node = parseScimFilter('USERNAME eq "x"');
      expect(node.type === 'compare' && node.attr.segments).toEqual(['USERNAME']);
    });
  });

  describe('logic and grouping', () => {
    it.each([
      ['a eq 1 or b eq 2 and c eq 3', '(a eq 1 or (b eq 2 and c eq 3))'],
      ['a eq 1 and b eq 2 or c eq 3', '((a eq 1 and b eq 2) or c eq 3)'],
      ['(a eq 1 or b eq 2) and c eq 3', '((a eq 1 or b eq 2) and c eq 3)'],
      ['a eq 1 and b eq 2 and c eq 3', '((a eq 1 and b eq 2) and c eq 3)'],
      ['a eq 1 or b eq 2 or c eq 3', '((a eq 1 or b eq 2) or c eq 3)'],
      ['not (a eq 1) and b eq 2', '(not a eq 1 and b eq 2)'],
      ['not(a eq 1 or b eq 2)', 'not (a eq 1 or b eq 2)'],
      ['((a eq 1))', 'a eq 1'],
      ['not (not (a pr))', 'not not a pr'],
      ['( a eq 1 )and(b eq 2)', '(a eq 1 and b eq 2)'],
    ])('%s', (text, expected) => {
      expect(show(parseScimFilter(text))).toBe(expected);
    });

    it('reads "not" as an attribute name when an operator follows', () => {
      expect(show(parseScimFilter('not eq "x"'))).toBe('not eq "x"');
    });
  });

  describe('values', () => {
    const valueOf = (text: string) => {
      const node = parseScimFilter(`a eq ${text}`);
      if (node.type !== 'compare') throw new Error('not a comparison');
      return node.value;
    };

    it.each([
      ['"plain"', 'plain'],
      ['"say \\"hi\\""', 'say "hi"'],
      ['"back\\\\slash"', 'back\\slash'],
      ['"caf\\u00e9"', 'café'],
      ['"\\ud83d\\ude00"', '😀'],
      ['"a\\/b\\n\\t\\r\\b\\f"', 'a/b\n\t\r\b\f'],
      ['""', ''],
      ['"with ) and ] and (["', 'with ) and ] and (['],
    ])('decodes the JSON string %s', (text, expected) => {
      expect(valueOf(text)).toEqual({ kind: 'string', value: expected });
    });

    it.each([
      ['42', 42],
      ['-1.5e3', -1500],
      ['0', 0],
      ['0.25', 0.25],
      ['1E+2', 100],
    ])('reads the number %s', (raw, value) => {
      expect(valueOf(raw)).toEqual({ kind: 'number', value, raw });
    });

    it.each([
      ['true', { kind: 'boolean', value: true }],
      ['FALSE', { kind: 'boolean', value: false }],
      ['null', { kind: 'null' }],
      ['Null', { kind: 'null' }],
    ])('reads the literal %s', (text, expected) => {
      expect(valueOf(text)).toEqual(expected);
    });

    it.each([
      ['f058ebd6-02f7-4d3f-942e-904344e8cde5', 'f058ebd6-02f7-4d3f-942e-904344e8cde5'],
      ['01', '01'],
      ['1.', '1.'],
      ['+1', '+1'],
      ['truex', 'truex'],
      ['a"b', 'a"b'],
      ['COI-123', 'COI-123'],
    ])('reads the bare value %s as a string', (text, expected) => {
      expect(valueOf(text)).toEqual({ kind: 'string', value: expected });
    });

    it('ends a bare value at ")" and "]"', () => {
      expect(show(parseScimFilter('(x eq abc)'))).toBe('x eq "abc"');
      expect(show(parseScimFilter('(x eq abc) and y eq 1'))).toBe('(x eq "abc" and y eq 1)');
      expect(show(parseScimFilter('emails[type eq work]'))).toBe('emails[type eq "work"]');
    });

    it('refuses a number that overflows', () => {
      expect(errorOf('a eq 1e999').message).toBe('number "1e999" at position 5 is out of range');
    });
  });

  describe('attribute paths', () => {
    it('strips a schema URN and keeps it aside', () => {
      expect(
        parseScimFilter('urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"'),
      ).toMatchObject({
        attr: {
          segments: ['userName'],
          schema: 'urn:ietf:params:scim:schemas:core:2.0:User',
          position: 0,
        },
      });
    });

    it('strips a URN before a dotted path', () => {
      const node = parseScimFilter(
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "1"',
      );
      expect(node.type === 'compare' && node.attr.segments).toEqual(['manager', 'value']);
    });

    it('accepts deep paths and $ in names', () => {
      expect(show(parseScimFilter('action.actionParameters.COI eq "x"'))).toBe(
        'action.actionParameters.COI eq "x"',
      );
      expect(show(parseScimFilter('actingUserId.session.id pr'))).toBe(
        'actingUserId.session.id pr',
      );
      expect(show(parseScimFilter('x.a$b_c-d9 pr'))).toBe('x.a$b_c-d9 pr');
      expect(() => parseScimFilter('members.$ref pr')).toThrow('invalid attribute name "$ref"');
    });

    it.each([
      ['1abc eq 1', 'invalid attribute name "1abc" at position 0', 0],
      ['a..b eq 1', 'invalid attribute name "" at position 2', 2],
      ['name. eq 1', 'invalid attribute name "" at position 5', 5],
      ["action.actionParameters.a'b eq 1", 'invalid attribute name "a\'b" at position 24', 24],
      ['urn:x:y: eq 1', 'expected an attribute name after the schema URN at position 8', 8],
    ])('refuses %s', (text, message, position) => {
      const error = errorOf(text);
      expect(error.message).toContain(message);
      expect(error.position).toBe(position);
    });
  });

  describe('value paths', () => {
    it('parses a value path with a compound filter', () => {
      expect(show(parseScimFilter('emails[type eq "work" and value co "@example.com"]'))).toBe(
        'emails[(type eq "work" and value co "@example.com")]',
      );
    });

    it('combines value paths with other expressions', () => {
      expect(
        show(
          parseScimFilter('userType eq "Employee" and emails[type eq "work" or primary eq true]'),
        ),
      ).toBe('(userType eq "Employee" and emails[(type eq "work" or primary eq true)])');
    });

    it('records inner attribute positions in the whole text', () => {
      const node = parseScimFilter('emails[type eq "work"]');
      expect(node).toMatchObject({ filter: { attr: { segments: ['type'], position: 7 } } });
    });

    it('refuses a value path inside a value path', () => {
      const error = errorOf('emails[type[value eq "x"]]');
      expect(error.message).toBe(
        'a value filter cannot contain another value path: found "[" at position 11',
      );
      expect(error.position).toBe(11);
    });

    it('refuses a sub-attribute after a value path', () => {
      expect(errorOf('emails[type eq "work"].value eq "x"').message).toContain(
        'is only allowed in a PATCH path',
      );
    });

    it('refuses an empty value filter', () => {
      expect(errorOf('emails[]').message).toBe('expected a filter inside "[" at position 6');
    });
  });

  describe('errors', () => {
    it.each([
      ['', 'filter is empty', 0],
      ['   ', 'filter is empty', 0],
      [
        'userName eq "x" garbage',
        'expected "and", "or" or the end of the filter at position 16, found "garbage"',
        16,
      ],
      [
        'userName "x"',
        'expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after "userName" at position 9, found the string "x"',
        9,
      ],
      [
        'userName',
        'expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after "userName" at position 8, found the end of the filter',
        8,
      ],
      ['userName equals "x"', 'after "userName" at position 9, found "equals"', 9],
      [
        'userName eq',
        'expected a value (a "string", number, true, false or null) after "eq" at position 11, found the end of the filter',
        11,
      ],
      ['(userName eq )', 'after "eq" at position 13, found ")"', 13],
      ['userName eq "x', 'unterminated string starting at position 12', 12],
      ['userName eq "x\\', 'unterminated string starting at position 12', 12],
      ['userName eq "\\x"', 'invalid escape "\\\\x" at position 13', 13],
      ['userName eq "\\u12g4"', 'invalid \\u escape at position 13: expected 4 hex digits', 13],
      [
        '(userName eq "x"',
        'expected ")" to close the "(" at position 0, found the end of the filter at position 16',
        16,
      ],
      ['userName eq "x")', 'unbalanced ")" at position 15', 15],
      [
        'emails[type eq "x"',
        'expected "]" to close the "[" at position 6, found the end of the filter at position 18',
        18,
      ],
      ['(a eq 1]', 'expected "and", "or" or ")" at position 7, found "]"', 7],
      [
        'a eq 1 and',
        'expected an attribute name, "not" or "(" at position 10, found the end of the filter',
        10,
      ],
      ['()', 'expected an attribute name, "not" or "(" at position 1, found ")"', 1],
      [
        '"x" eq "x"',
        'expected an attribute name, "not" or "(" at position 0, found the string "x"',
        0,
      ],
      ['not a eq 1', 'expected "(" after "not" at position 4, found "a"', 4],
      ['a eq 1 or or b eq 2', 'expected a comparison operator', 13],
    ])('%j', (text, message, position) => {
      const error = errorOf(text);
      expect(error.message).toContain(message);
      expect(error.position).toBe(position);
      expect(error.scimType).toBe('invalidFilter');
      expect(error).toBeInstanceOf(ScimFilterError);
      expect(error.name).toBe('ScimFilterError');
    });

    it('refuses NUL, which PostgreSQL text cannot hold', () => {
      expect(errorOf('a eq "x\u0000"').message).toBe('unexpected NUL character at position 7');
      expect(errorOf('a eq "x\\u0000"').message).toBe(
        'a string cannot contain \\u0000 (position 7)',
      );
    });

    it('never echoes long input in a message', () => {
      const long = `${'x'.repeat(500)} eq "y"`;
      expect(errorOf(`a eq 1 and ${long} garbage`).message.length).toBeLessThan(200);
      expect(errorOf(`${'a'.repeat(500)}`).message.length).toBeLessThan(200);
      expect(errorOf(`a eq 1 ${'g'.repeat(500)}`).message).toContain('…');
    });
  });

  describe('limits', () => {
    const nested = (levels: number) => `${'('.repeat(levels)}a eq 1${')'.repeat(levels)}`;
    const comparisons = (n: number) =>
      Array.from({ length: n }, (_, i) => `a${i} eq ${i}`).join(' or ');

    it('accepts 4096 characters and refuses 4097', () => {
      const filter = (n: number) => `a eq "${'x'.repeat(n - 7)}"`;
      expect(filter(4096)).toHaveLength(4096);
      expect(() => parseScimFilter(filter(4096))).not.toThrow();
      const error = errorOf(filter(4097));
      expect(error.message).toBe('filter is longer than 4096 characters');
      expect(error.position).toBeUndefined();
    });

    it('accepts 20 levels of nesting and refuses 21', () => {
      expect(show(parseScimFilter(nested(20)))).toBe('a eq 1');
      const error = errorOf(nested(21));
      expect(error.message).toBe('filter nesting deeper than 20 levels at position 20');
      expect(error.position).toBe(20);
    });

    it('counts not (...) and value paths as levels', () => {
      const nots = (n: number) => `${'not ('.repeat(n)}a eq 1${')'.repeat(n)}`;
      expect(() => parseScimFilter(nots(20))).not.toThrow();
      expect(errorOf(nots(21)).message).toBe(
        'filter nesting deeper than 20 levels at position 100',
      );
      const inValuePath = `emails[${'('.repeat(19)}type eq "x"${')'.repeat(19)}]`;
      expect(() => parseScimFilter(inValuePath)).not.toThrow();
      expect(errorOf(`emails[${'('.repeat(20)}type eq "x"${')'.repeat(20)}]`).message).toContain(
        'filter nesting deeper than 20 levels',
      );
    });

    it('refuses deep nesting without exhausting the stack', () => {
      expect(errorOf('('.repeat(4000)).message).toContain('nesting deeper than 20');
    });

    it('accepts 100 comparisons and refuses 101', () => {
      expect(() => parseScimFilter(comparisons(100))).not.toThrow();
      const error = errorOf(comparisons(101));
      expect(error.message).toMatch(/^more than 100 comparisons/);
      expect(error.position).toBe(comparisons(100).length + 4);
    });

    it('counts pr and comparisons inside value paths', () => {
      const mixed = `${Array.from({ length: 99 }, (_, i) => `a${i} pr`).join(' and ')} and emails[type eq "x"]`;
      expect(() => parseScimFilter(mixed)).not.toThrow();
      expect(() => parseScimFilter(`${mixed} or b pr`)).toThrow('more than 100 comparisons');
    });
  });
});
