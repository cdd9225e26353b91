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
      { attribute: 'active', op: 'replace', before: 'true', after: 'false' },
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
      { attribute: 'active', op: 'remove', before: 'false' },
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
      { attribute: 'redirect_uris', op: 'replace', before: '["a"]', after: '["a","b"]' },
    ]);
    expect(computeChanges({ tags: ['a', 'b'] }, { tags: ['a', 'b'] })).toEqual([]);
  });

  it('shows every value as text: a string as is, anything else as its JSON text', () => {
    expect(
      computeChanges(
        { active: true, count: 3, id2: 'x' },
        { active: false, count: 4, id2: '3', name: { givenName: 'A' } },
        { ignore: new Set() },
      ),
    ).toEqual([
      { attribute: 'active', op: 'replace', before: 'true', after: 'false' },
      { attribute: 'count', op: 'replace', before: '3', after: '4' },
      { attribute: 'id2', op: 'replace', before: 'x', after: '3' },
      { attribute: 'name.givenName', op: 'add', after: 'A' },
    ]);
    // A complex value replaced by a simple one is shown whole, as JSON text.
    expect(computeChanges({ name: { givenName: 'A' } }, { name: 'A' })).toEqual([
      { attribute: 'name', op: 'replace', before: '{"givenName":"A"}', after: 'A' },
    ]);
    for (const c of computeChanges({ n: 1, b: true }, { n: 2, b: false })) {
      expect(typeof c.before).toBe('string');
      expect(typeof c.after).toBe('string');
    }
  });

  it('cuts the JSON text of a long non-string value, with a marker', () => {
    const list = Array.from({ length: 100 }, (_, i) => `https://app.example/${i}`);
    const [c] = computeChanges({}, { redirect_uris: list });
    expect(c).toEqual({
      attribute: 'redirect_uris',
      op: 'add',
      after: JSON.stringify(list).slice(0, CHANGE_VALUE_MAX_LENGTH) + TRUNCATION_MARKER,
      truncated: true,
    });
  });

  it("reads only a resource's own members, never what every object inherits", () => {
    expect(computeChanges({ a: '1' }, { a: '1', constructor: 'c' })).toEqual([
      { attribute: 'constructor', op: 'add', after: 'c' },
    ]);
    expect(computeChanges({ toString: 't' }, {})).toEqual([
      { attribute: 'toString', op: 'remove', before: 't' },
    ]);
    expect(computeChanges({ x: { hasOwnProperty: 1 } }, { x: { hasOwnProperty: 1 } })).toEqual([]);
  });

  it('leaves out server-owned attributes', () => {
    expect(computeChanges({ id: '1', meta: { version: '1' } }, { id: '1', meta: {} })).toEqual([]);
  });

  it('lists a created resource exactly as the general walk from an empty one does', () => {
    // computeChanges(null, x) takes its own path; from {} it takes the general walk.
    const fixed: Record<string, unknown>[] = [
      user,
      { id: '1', meta: { version: '1' }, schemas: [], password: 'p', client_secret: null },
      { emails: [], groups: [{ value: 'a' }, { value: 'a' }], tags: ['x', 'y'], n: 0 },
      {
        emails: [
          { type: 'work', value: 'w' },
          { type: 'work', value: 'h' },
        ],
        x: null,
      },
      { phones: [{ value: '1' }, { value: 2 }], name: { givenName: undefined, f: { g: 'h' } } },
      { list: [{ type: 'a', token: 's', sub: { z: 1 } }, 'plain'], long: 'x'.repeat(300) },
      { ['__proto__']: 'own', constructor: 'c', 'a.b': true, emails: [{ value: 'v', type: 3 }] },
    ];
    let seed = 7;
    const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const names = ['type', 'value', 'display', 'password', 'meta', 'id', 'givenName', 'x'];
    const value = (depth: number): unknown => {
      switch (next(depth > 2 ? 5 : 8)) {
        case 0:
          return names[next(names.length)];
        case 1:
          return next(3) === 0 ? null : next(2) === 0;
        case 2:
          return next(100);
        case 3:
          return undefined;
        case 4:
          return 'v'.repeat(next(300));
        case 5:
        case 6:
          return Array.from({ length: next(4) }, () => value(depth + 1));
        default:
          return object(depth + 1);
      }
    };
    const object = (depth: number): Record<string, unknown> =>
      Object.fromEntries(
        Array.from({ length: next(5) }, () => [names[next(names.length)], value(depth)]),
      );
    const generated = Array.from({ length: 2000 }, () => object(0));
    for (const after of [...fixed, ...generated]) {
      expect(computeChanges(null, after)).toEqual(computeChanges({}, after));
      expect(computeChanges(undefined, after, { ignore: new Set() })).toEqual(
        computeChanges({}, after, { ignore: new Set() }),
      );
    }
    expect(computeChanges(null, null)).toEqual([]);
  });
});
