import { projectAttributes, readAttributeList } from './scim-attributes';

const resource = {
  schemas: ['x'],
  id: '1',
  userName: 'bjensen',
  name: { givenName: 'Barbara', familyName: 'Jensen' },
  emails: [
    { value: 'a@x', type: 'work' },
    { value: 'b@x', type: 'home' },
  ],
};

describe('projectAttributes', () => {
  it('returns only the asked attributes plus id and schemas, names case-insensitive', () => {
    expect(projectAttributes(resource, ['USERNAME', 'name.givenName'])).toEqual({
      schemas: ['x'],
      id: '1',
      userName: 'bjensen',
      name: { givenName: 'Barbara' },
    });
  });

  it('projects sub-attributes of multi-valued attributes', () => {
    expect(projectAttributes(resource, ['emails.value']).emails).toEqual([
      { value: 'a@x' },
      { value: 'b@x' },
    ]);
  });

  it('removes excluded attributes but never id', () => {
    const out = projectAttributes(resource, undefined, ['emails', 'id', 'name.familyName']);
    expect(out).toEqual({
      schemas: ['x'],
      id: '1',
      userName: 'bjensen',
      name: { givenName: 'Barbara' },
    });
    expect(resource.emails).toHaveLength(2);
  });

  it('strips schema URN prefixes', () => {
    expect(
      projectAttributes(resource, ['urn:ietf:params:scim:schemas:core:2.0:User:userName']).userName,
    ).toBe('bjensen');
  });

  it('reads comma lists', () => {
    expect(readAttributeList('a, b.c')).toEqual(['a', 'b.c']);
    expect(readAttributeList('')).toBeUndefined();
  });
});
