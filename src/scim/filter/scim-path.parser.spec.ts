import { ScimFilterError } from './scim-filter.error';
import { parseScimFilter } from './scim-filter.parser';
import { parseScimPath } from './scim-path.parser';

function errorOf(text: string): ScimFilterError {
  try {
    parseScimPath(text);
  } catch (e) {
    if (e instanceof ScimFilterError) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(text)} to fail`);
}

describe('parseScimPath', () => {
  it.each([
    ['userName', { attr: ['userName'] }],
    ['name.givenName', { attr: ['name', 'givenName'] }],
    ['actingUserId.session.id', { attr: ['actingUserId', 'session', 'id'] }],
    [
      'urn:ietf:params:scim:schemas:core:2.0:User:userName',
      { attr: ['userName'], schema: 'urn:ietf:params:scim:schemas:core:2.0:User' },
    ],
    [
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value',
      {
        attr: ['manager', 'value'],
        schema: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
      },
    ],
  ])('parses the attribute path %s', (text, expected) => {
    expect(parseScimPath(text)).toEqual(expected);
  });

  it('parses a value path', () => {
    expect(parseScimPath('members[value eq "2819c223"]')).toEqual({
      attr: ['members'],
      filter: parseScimFilter('        value eq "2819c223"'),
    });
  });

  it('parses a value path with a sub-attribute', () => {
    expect(parseScimPath('emails[type eq "work"].value')).toEqual({
      attr: ['emails'],
      filter: parseScimFilter('       type eq "work"'),
      subAttr: 'value',
    });
  });

  it('parses a compound value filter', () => {
    const path = parseScimPath(
      'addresses[type eq "work" and not (primary eq false)].streetAddress',
    );
    expect(path.filter?.type).toBe('and');
    expect(path.subAttr).toBe('streetAddress');
  });

  it('parses a URN-prefixed value path', () => {
    expect(
      parseScimPath('urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq work]'),
    ).toMatchObject({ attr: ['emails'], filter: { type: 'compare', op: 'eq' } });
  });

  it.each([
    ['', 'path is empty', 0],
    ['[type eq "x"]', 'expected an attribute name at position 0, found "["', 0],
    ['1name', 'invalid attribute name "1name" at position 0', 0],
    ['name..givenName', 'invalid attribute name "" at position 5', 5],
    ['userName eq "x"', 'expected the end of the path at position 9, found "eq"', 9],
    [
      'emails[type eq "work"]value',
      'expected "." and one sub-attribute name after "]" at position 22',
      22,
    ],
    ['emails[type eq "work"].value.x', 'expected "." and one sub-attribute name', 22],
    ['emails[type eq "work"] .value', 'expected the end of the path at position 23', 23],
    [
      'emails[type eq "work"',
      'expected "]" to close the "[" at position 6, found the end of the path',
      21,
    ],
    ['emails[type eq "work"]]', 'expected the end of the path at position 22, found "]"', 22],
    ['emails[]', 'expected a filter inside "["', 7],
    ['emails[type[value eq "x"]]', 'a value filter cannot contain another value path', 11],
    ['emails[type eq]', 'expected a value', 14],
    ['emails[type eq "x].value', 'unterminated string starting at position 15', 15],
  ])('refuses %j', (text, message, position) => {
    const error = errorOf(text);
    expect(error.message).toContain(message);
    expect(error.position).toBe(position);
    expect(error.scimType).toBe('invalidPath');
  });

  it('refuses a path over 4096 characters', () => {
    const error = errorOf(`a${'b'.repeat(4096)}`);
    expect(error.message).toBe('path is longer than 4096 characters');
    expect(error.scimType).toBe('invalidPath');
  });
});
