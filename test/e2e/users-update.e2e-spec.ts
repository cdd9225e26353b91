import { createUser, userBody } from '../factories/user';
import { ISO_MS } from '../utils/http';
import { recordsOfRequest } from '../utils/records';
import { expectScimError, PATCH_OP, patchUser } from '../utils/scim';
import { useTestApp } from '../utils/suite';
import { TestApp, uniqueId, USER_SCHEMA } from '../utils/test-app';

type Json = Record<string, any>;

describe('SCIM Users (API.md §1, §7)', () => {
  const s = useTestApp({ tenants: 2 });
  const { send } = s;
  let t: TestApp;
  let users: string;
  beforeAll(() => ({ t, users } = s));

  describe('read', () => {
    it('returns the resource with its ETag', async () => {
      const user = await createUser(t);
      const res = await send({ method: 'GET', url: `${users}/${user.id}` });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
      expect(res.headers.etag).toBe(user.meta.version);
      expect(res.json()).toEqual(user);
    });

    it('projects attributes and excludedAttributes', async () => {
      const user = await createUser(t, { displayName: 'D', emails: [{ value: 'e@x' }] });
      const only = (
        await send({ method: 'GET', url: `${users}/${user.id}?attributes=userName,EMAILS.value` })
      ).json();
      expect(only).toEqual({
        schemas: [USER_SCHEMA],
        id: user.id,
        userName: user.userName,
        emails: [{ value: 'e@x' }],
      });
      const without = (
        await send({ method: 'GET', url: `${users}/${user.id}?excludedAttributes=displayName` })
      ).json();
      expect(without.displayName).toBeUndefined();
      expect(without.userName).toBe(user.userName);
    });

    it.each([
      ['an unknown id', '00000000-0000-7000-8000-000000000000'],
      ['a malformed id', 'not-a-uuid'],
    ])('%s is 404', async (_label, id) => {
      expectScimError(await send({ method: 'GET', url: `${users}/${id}` }), 404);
    });

    it("another tenant's user is 404 there", async () => {
      const user = await createUser(t);
      const otherToken = await t.adminToken(t.tenants[1]);
      const res = await t.request({
        method: 'GET',
        url: `/${t.tenants[1]}/v2/Users/${user.id}`,
        token: otherToken,
      });
      expectScimError(res, 404);
    });
  });

  describe('replace (PUT)', () => {
    it('replaces the whole resource, bumps the version and records updateUser', async () => {
      const user = await createUser(t, { displayName: 'Old', nickName: 'Nick' });
      const newName = uniqueId('renamed');
      const res = await send({
        method: 'PUT',
        url: `${users}/${user.id}`,
        payload: userBody(newName, { displayName: 'New', active: false }),
      });
      expect(res.statusCode).toBe(200);
      const updated = res.json();
      expect(updated).toMatchObject({
        id: user.id,
        userName: newName,
        displayName: 'New',
        active: false,
      });
      expect(updated.nickName).toBeUndefined();
      expect(updated.meta.version).toBe('W/"2"');
      expect(res.headers.etag).toBe('W/"2"');
      expect(updated.meta.created).toBe(user.meta.created);
      const [record] = await recordsOfRequest(t, res);
      expect(record).toMatchObject({
        action_name: 'updateUser',
        result: 'RESPONSE_SUCCESS',
        target_user_id: newName,
        target_user_immutable_id: user.id,
        action_parameters: { Action: 'updateUser', method: 'PUT', previousUserName: user.userName },
      });
    });

    it('is 404 for an unknown user', async () => {
      expectScimError(
        await send({
          method: 'PUT',
          url: `${users}/00000000-0000-7000-8000-000000000000`,
          payload: userBody(uniqueId()),
        }),
        404,
      );
    });
  });

  describe('patch (PatchOp)', () => {
    let user: Json;
    beforeEach(async () => {
      user = await createUser(t, {
        userName: uniqueId('p'),
        displayName: 'Before',
        nickName: 'Nick',
        name: { givenName: 'Ann', familyName: 'Smith' },
        emails: [
          { value: 'work@example.com', type: 'work', primary: true },
          { value: 'home@example.com', type: 'home' },
        ],
      });
    });
    const patched = async (operations: Json[]) => {
      const res = await patchUser(s, user.id, operations);
      expect(res.statusCode).toBe(200);
      return res.json();
    };

    it('replace with a path', async () => {
      expect(
        (await patched([{ op: 'replace', path: 'displayName', value: 'After' }])).displayName,
      ).toBe('After');
    });

    it('add without a path merges the value object', async () => {
      const out = await patched([
        {
          op: 'add',
          value: { title: 'Boss', emails: [{ value: 'new@example.com', type: 'other' }] },
        },
      ]);
      expect(out.title).toBe('Boss');
      expect(out.emails.map((e: Json) => e.value)).toEqual([
        'work@example.com',
        'home@example.com',
        'new@example.com',
      ]);
      expect(out.displayName).toBe('Before');
    });

    it('replace without a path overwrites the named attributes only', async () => {
      const out = await patched([{ op: 'replace', value: { displayName: 'X', nickName: 'Y' } }]);
      expect(out).toMatchObject({ displayName: 'X', nickName: 'Y', name: user.name });
    });

    it('add to a sub-attribute creates the parent when needed', async () => {
      const out = await patched([{ op: 'add', path: 'name.middleName', value: 'Q' }]);
      expect(out.name).toEqual({ givenName: 'Ann', familyName: 'Smith', middleName: 'Q' });
    });

    it('replace through a value path: emails[type eq "work"].value', async () => {
      const out = await patched([
        { op: 'replace', path: 'emails[type eq "work"].value', value: 'changed@example.com' },
      ]);
      expect(out.emails).toEqual([
        { value: 'changed@example.com', type: 'work', primary: true },
        { value: 'home@example.com', type: 'home' },
      ]);
    });

    it('remove through a value path removes the matching elements only', async () => {
      const out = await patched([{ op: 'remove', path: 'emails[type eq "home"]' }]);
      expect(out.emails).toEqual([{ value: 'work@example.com', type: 'work', primary: true }]);
    });

    it('remove with a plain path, and of a sub-attribute', async () => {
      const out = await patched([
        { op: 'remove', path: 'nickName' },
        { op: 'remove', path: 'name.familyName' },
      ]);
      expect(out.nickName).toBeUndefined();
      expect(out.name).toEqual({ givenName: 'Ann' });
    });

    it('takes URN-prefixed paths', async () => {
      const out = await patched([
        { op: 'replace', path: `${USER_SCHEMA}:name.givenName`, value: 'Anne' },
        { op: 'replace', path: `${USER_SCHEMA}:displayName`, value: 'Urn' },
      ]);
      expect(out.name.givenName).toBe('Anne');
      expect(out.displayName).toBe('Urn');
    });

    it('reads op names and attribute names case-insensitively', async () => {
      const out = await patched([
        { op: 'Replace', path: 'NAME.FAMILYNAME', value: 'Jones' },
        { OP: 'Add', PATH: 'DisplayName', VALUE: 'Loud' },
        { op: 'REPLACE', path: 'EMAILS[TYPE eq "work"].VALUE', value: 'w2@example.com' },
      ]);
      expect(out.name.familyName).toBe('Jones');
      expect(out.displayName).toBe('Loud');
      expect(out.emails[0].value).toBe('w2@example.com');
      expect(Object.keys(out.name)).toEqual(['givenName', 'familyName']);
    });

    it('accepts Entra-style "True"/"False" for active, with and without a path', async () => {
      expect((await patched([{ op: 'Replace', path: 'active', value: 'False' }])).active).toBe(
        false,
      );
      expect((await patched([{ op: 'replace', value: { active: 'True' } }])).active).toBe(true);
    });

    it('renaming through a patch records updateUser with the previous name', async () => {
      const newName = uniqueId('patched');
      const res = await patchUser(s, user.id, [
        { op: 'replace', path: 'userName', value: newName },
      ]);
      expect(res.statusCode).toBe(200);
      expect(res.headers.etag).toBe('W/"2"');
      const [record] = await recordsOfRequest(t, res);
      expect(record).toMatchObject({
        action_name: 'updateUser',
        target_user_id: newName,
        action_parameters: { method: 'PATCH', previousUserName: user.userName },
      });
    });

    it.each<[string, Json[], string]>([
      ['an unknown op', [{ op: 'move', path: 'displayName', value: 'x' }], 'invalidSyntax'],
      ['remove without a path', [{ op: 'remove' }], 'noTarget'],
      ['add without a value', [{ op: 'add', path: 'displayName' }], 'invalidValue'],
      [
        'a value path that matches nothing',
        [{ op: 'replace', path: 'emails[type eq "fax"].value', value: 'x' }],
        'noTarget',
      ],
      ['a read-only attribute', [{ op: 'replace', path: 'id', value: 'x' }], 'mutability'],
      ['a broken path', [{ op: 'replace', path: 'emails[type eq', value: 'x' }], 'invalidPath'],
      ['removing userName', [{ op: 'remove', path: 'userName' }], 'invalidValue'],
      ['a non-object value without a path', [{ op: 'add', value: 'x' }], 'invalidValue'],
    ])('refuses %s', async (_label, operations, scimType) => {
      const res = await patchUser(s, user.id, operations);
      expectScimError(res, 400, scimType);
      const after = (await send({ method: 'GET', url: `${users}/${user.id}` })).json();
      expect(after).toEqual(user);
      const records = await recordsOfRequest(t, res);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ action_name: 'updateUser', result: 'RESPONSE_FAILURE' });
    });

    it('refuses a body without the PatchOp schema or operations', async () => {
      for (const payload of [
        { Operations: [{ op: 'add', path: 'title', value: 'x' }] },
        { schemas: [PATCH_OP], Operations: [] },
        { schemas: [PATCH_OP] },
      ]) {
        const res = await send({ method: 'PATCH', url: `${users}/${user.id}`, payload });
        expectScimError(res, 400, 'invalidSyntax');
      }
    });
  });

  describe('delete', () => {
    it('returns 204, records deleteUser, and the user is gone', async () => {
      const user = await createUser(t);
      const res = await send({ method: 'DELETE', url: `${users}/${user.id}` });
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');
      const [record] = await recordsOfRequest(t, res);
      expect(record).toMatchObject({
        action_name: 'deleteUser',
        result: 'RESPONSE_SUCCESS',
        target_user_id: user.userName,
        target_user_immutable_id: user.id,
      });
      expectScimError(await send({ method: 'GET', url: `${users}/${user.id}` }), 404);
      const again = await send({ method: 'DELETE', url: `${users}/${user.id}` });
      expectScimError(again, 404);
      expect((await recordsOfRequest(t, again))[0]).toMatchObject({
        action_name: 'deleteUser',
        result: 'RESPONSE_FAILURE',
        return_value: { status: '404' },
      });
    });
  });

  describe('times', () => {
    it("meta.created equals the createUser record's created to the millisecond", async () => {
      const res = await send({ method: 'POST', url: users, payload: userBody(uniqueId()) });
      const user = res.json();
      const [record] = await recordsOfRequest(t, res);
      const read = await send({ method: 'GET', url: `/${t.tenant}/v2/AuditRecords/${record.id}` });
      expect(read.statusCode).toBe(200);
      expect(read.json().created).toBe(user.meta.created);
      expect(user.meta.created).toMatch(ISO_MS);
      expect(user.meta.lastModified).toBe(user.meta.created);
    });
  });
});
