import { CHANGE_VALUE_MAX_LENGTH, computeChanges, TRUNCATION_MARKER } from './scim-changes';

describe('computeChanges', () => {
  const user = {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: 'bjensen',
    displayName: 'A',
    active: true,
    name: { givenName: 'Barbara', familyName: 'Jensen' },
    emails: [
      { type: 'work', value: 'b@work.example', primary: true },
      { type: 'home', value: 'b@home.example' },
    ],
  };

  it('lists exactly the attributes that moved, with before and after', () => {
    expect(computeChanges(user, { ...user, active: false, displayName: 'B' })).toEqual([
      { attribute: 'displayName', op: 'replace', before: 'A', after: 'B' },
      { attribute: 'active', op: 'replace', before: true, after: false },
    ]);
  });

  it('says nothing changed with an empty list', () => {
    expect(computeChanges(user, structuredClone(user))).toEqual([]);
  });

  it('walks complex attributes and names multi-valued elements by a value filter', () => {
    const after = structuredClone(user);
    after.name = { givenName: 'Babs' } as typeof user.name;
    after.emails[0].value = 'babs@work.example';
    after.emails.pop();
    expect(computeChanges(user, after)).toEqual([
      { attribute: 'name.givenName', op: 'replace', before: 'Barbara', after: 'Babs' },
      { attribute: 'name.familyName', op: 'remove', before: 'Jensen' },
      {
        attribute: 'emails[type eq "work"].value',
        op: 'replace',
        before: 'b@work.example',
        after: 'babs@work.example',
      },
      { attribute: 'emails[type eq "home"].value', op: 'remove', before: 'b@home.example' },
    ]);
  });

  it('names elements by value when they have no distinct type', () => {
    expect(computeChanges({}, { groups: [{ value: 'UG_ROOT' }] })).toEqual([
      { attribute: 'groups[value eq "UG_ROOT"].value', op: 'add', after: 'UG_ROOT' },
    ]);
    expect(
      computeChanges({ groups: [{ value: 'a', display: 'A' }] }, { groups: [{ value: 'a' }] }),
    ).toEqual([{ attribute: 'groups[value eq "a"].display', op: 'remove', before: 'A' }]);
  });

  it('lists every attribute set on create and every attribute held on delete', () => {
    const created = computeChanges(null, { userName: 'x', name: { givenName: 'X' } });
    expect(created).toEqual([
      { attribute: 'userName', op: 'add', after: 'x' },
      { attribute: 'name.givenName', op: 'add', after: 'X' },
    ]);
    expect(computeChanges({ userName: 'x', active: false }, null)).toEqual([
      { attribute: 'userName', op: 'remove', before: 'x' },
      { attribute: 'active', op: 'remove', before: false },
    ]);
  });

  it('shows a secret as changed without its value', () => {
    expect(computeChanges({ password: 'h1' }, { password: 'h2' })).toEqual([
      { attribute: 'password', op: 'replace', valueOmitted: true },
    ]);
    expect(computeChanges({}, { client_secret: 's' })).toEqual([
      { attribute: 'client_secret', op: 'add', valueOmitted: true },
    ]);
    expect(computeChanges({ password: 'h1' }, { password: 'h1' })).toEqual([]);
  });

  it('cuts long values, with a marker', () => {
    const long = 'x'.repeat(CHANGE_VALUE_MAX_LENGTH + 10);
    const [c] = computeChanges({ title: 'a' }, { title: long });
    expect(c).toEqual({
      attribute: 'title',
      op: 'replace',
      before: 'a',
      after: 'x'.repeat(CHANGE_VALUE_MAX_LENGTH) + TRUNCATION_MARKER,
      truncated: true,
    });
  });

  it('compares arrays without element names as a whole', () => {
    expect(computeChanges({ redirect_uris: ['a'] }, { redirect_uris: ['a', 'b'] })).toEqual([
      { attribute: 'redirect_uris', op: 'replace', before: ['a'], after: ['a', 'b'] },
    ]);
    expect(computeChanges({ tags: ['a', 'b'] }, { tags: ['a', 'b'] })).toEqual([]);
  });

  it('leaves out server-owned attributes', () => {
    expect(computeChanges({ id: '1', meta: { version: '1' } }, { id: '1', meta: {} })).toEqual([]);
  });
});
