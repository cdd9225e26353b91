import { ISO_MS } from '../utils/http';
import {
  createTestApp,
  InjectOptions,
  TestApp,
  TestResponse,
  uniqueId,
  USER_SCHEMA,
  userBody,
} from '../utils/test-app';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

type Json = Record<string, any>;

describe('SCIM Users (API.md §1, §7)', () => {
  let t: TestApp;
  let token: string;
  let users: string;

  beforeAll(async () => {
    t = await createTestApp({}, 2);
    token = await t.adminToken();
    users = `/${t.tenant}/v2/Users`;
  });
  afterAll(() => t.close());

  const send = (o: InjectOptions) => t.request({ token, ...o });
  const create = async (userName = uniqueId('u'), extra: Json = {}): Promise<Json> => {
    const res = await send({ method: 'POST', url: users, payload: userBody(userName, extra) });
    expect(res.statusCode).toBe(201);
    return res.json();
  };
  const patch = (id: string, operations: Json[], headers: Record<string, string> = {}) =>
    send({
      method: 'PATCH',
      url: `${users}/${id}`,
      headers,
      payload: { schemas: [PATCH_OP], Operations: operations },
    });
  const recordsOfRequest = (res: TestResponse): Promise<any[]> =>
    t.db.query('SELECT * FROM audit_records WHERE request_id = $1 ORDER BY created, id', [
      res.headers['x-request-id'],
    ]);
  const expectScimError = (res: TestResponse, status: number, scimType?: string) => {
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
    const body = res.json();
    expect(body.schemas).toEqual([ERROR_SCHEMA]);
    expect(body.status).toBe(String(status));
    if (scimType) expect(body.scimType).toBe(scimType);
    expect(body.detail).toEqual(expect.any(String));
  };

  describe('create', () => {
    it('returns 201 with the resource, Location, ETag and a createUser record', async () => {
      const userName = uniqueId('bjensen');
      const res = await send({
        method: 'POST',
        url: users,
        correlationId: uniqueId('create'),
        payload: userBody(userName, {
          externalId: 'ext-1',
          name: { givenName: 'Barbara', familyName: 'Jensen' },
          displayName: 'Babs',
          emails: [{ value: 'bjensen@example.com', type: 'work', primary: true }],
        }),
      });
      expect(res.statusCode).toBe(201);
      expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
      const user = res.json();
      expect(user).toEqual({
        schemas: [USER_SCHEMA],
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        externalId: 'ext-1',
        userName,
        name: { givenName: 'Barbara', familyName: 'Jensen' },
        displayName: 'Babs',
        emails: [{ value: 'bjensen@example.com', type: 'work', primary: true }],
        active: true,
        meta: {
          resourceType: 'User',
          created: expect.stringMatching(ISO_MS),
          lastModified: expect.stringMatching(ISO_MS),
          location: expect.stringMatching(new RegExp(`/${t.tenant}/v2/Users/${user.id}$`)),
          version: 'W/"1"',
        },
      });
      expect(res.headers.location).toBe(user.meta.location);
      expect(res.headers.etag).toBe('W/"1"');
      const records = await recordsOfRequest(res);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        action_name: 'createUser',
        result: 'RESPONSE_SUCCESS',
        correlation_id: res.headers['x-correlation-id'],
        acting_user_id: `${t.tenant}-admin`,
        target_user_id: userName,
        target_user_immutable_id: user.id,
      });
    });

    it('reads attribute names case-insensitively and stores them in schema spelling', async () => {
      const userName = uniqueId('casey');
      const res = await send({
        method: 'POST',
        url: users,
        payload: {
          SCHEMAS: [USER_SCHEMA],
          UserName: userName,
          DISPLAYNAME: 'Casey',
          name: { GivenName: 'C' },
        },
      });
      expect(res.statusCode).toBe(201);
      expect(res.json()).toMatchObject({ userName, displayName: 'Casey' });
    });

    it('ignores server-owned attributes sent by the client', async () => {
      const res = await send({
        method: 'POST',
        url: users,
        payload: userBody(uniqueId(), {
          id: 'client-chosen',
          meta: { created: '2000-01-01T00:00:00.000Z' },
        }),
      });
      expect(res.statusCode).toBe(201);
      expect(res.json().id).not.toBe('client-chosen');
      expect(res.json().meta.created).not.toBe('2000-01-01T00:00:00.000Z');
    });

    it.each<[string, Json]>([
      ['no userName', { schemas: [USER_SCHEMA] }],
      ['a blank userName', userBody('   ')],
      ['no schemas', { userName: 'x' }],
      ['another schema', { schemas: ['urn:example:Thing'], userName: 'x' }],
      ['a non-boolean active', userBody('x', { active: 'yes' })],
      ['a non-array emails', userBody('x', { emails: 'a@b' })],
      ['a number for displayName', userBody('x', { displayName: 42 })],
      ['an array body', [userBody('x')] as unknown as Json],
    ])('refuses %s with 400', async (_label, payload) => {
      const res = await send({ method: 'POST', url: users, payload });
      expectScimError(res, 400);
    });

    it('records a refused create as a failure in its own transaction', async () => {
      const res = await send({ method: 'POST', url: users, payload: { schemas: [USER_SCHEMA] } });
      const records = await recordsOfRequest(res);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        action_name: 'createUser',
        result: 'RESPONSE_FAILURE',
        return_value: { status: '400', error: 'invalidValue' },
        message: expect.stringContaining('userName'),
      });
    });
  });

  describe('limits', () => {
    it('userName up to 256 characters, 257 is 400', async () => {
      await create('u'.repeat(255) + 'a');
      expectScimError(
        await send({ method: 'POST', url: users, payload: userBody('u'.repeat(257)) }),
        400,
        'invalidValue',
      );
    });

    it.each<[string, (s: string) => Json]>([
      ['displayName', (s) => ({ displayName: s })],
      ['name.givenName', (s) => ({ name: { givenName: s } })],
      ['emails[0].value', (s) => ({ emails: [{ value: s }] })],
      ['externalId', (s) => ({ externalId: s })],
    ])('%s up to 1024 characters, 1025 is 400', async (label, build) => {
      await create(uniqueId(), build('s'.repeat(1024)));
      const res = await send({
        method: 'POST',
        url: users,
        payload: userBody(uniqueId(), build('s'.repeat(1025))),
      });
      expectScimError(res, 400, 'invalidValue');
      expect(res.json().detail).toContain(label);
    });

    it('a PATCH cannot go beyond them either', async () => {
      const { id } = await create();
      expectScimError(
        await patch(id, [{ op: 'replace', path: 'displayName', value: 'd'.repeat(1025) }]),
        400,
        'invalidValue',
      );
      expectScimError(
        await patch(id, [{ op: 'replace', path: 'userName', value: 'n'.repeat(257) }]),
        400,
        'invalidValue',
      );
    });
  });

  it('takes its limits from the configuration', async () => {
    const app = await createTestApp({
      BODY_LIMIT_BYTES: '4096',
      USERNAME_MAX_LENGTH: '10',
      STRING_MAX_LENGTH: '20',
    });
    try {
      const post = async (payload: unknown) =>
        app.request({
          method: 'POST',
          url: `/${app.tenant}/v2/Users`,
          token: await app.adminToken(),
          payload,
        });
      expect(
        (await post(userBody('u'.repeat(10), { displayName: 'd'.repeat(20) }))).statusCode,
      ).toBe(201);
      expectScimError(await post(userBody('u'.repeat(11))), 400, 'invalidValue');
      expectScimError(
        await post(userBody('v', { displayName: 'd'.repeat(21) })),
        400,
        'invalidValue',
      );
      expectScimError(await post(userBody('w', { emails: [{ value: 'e'.repeat(5000) }] })), 413);
    } finally {
      await app.close();
    }
  });

  describe('read', () => {
    it('returns the resource with its ETag', async () => {
      const user = await create();
      const res = await send({ method: 'GET', url: `${users}/${user.id}` });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
      expect(res.headers.etag).toBe(user.meta.version);
      expect(res.json()).toEqual(user);
    });

    it('projects attributes and excludedAttributes', async () => {
      const user = await create(uniqueId(), { displayName: 'D', emails: [{ value: 'e@x' }] });
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
      const user = await create();
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
      const user = await create(uniqueId(), { displayName: 'Old', nickName: 'Nick' });
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
      const [record] = await recordsOfRequest(res);
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
      user = await create(uniqueId('p'), {
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
      const res = await patch(user.id, operations);
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
      const res = await patch(user.id, [{ op: 'replace', path: 'userName', value: newName }]);
      expect(res.statusCode).toBe(200);
      expect(res.headers.etag).toBe('W/"2"');
      const [record] = await recordsOfRequest(res);
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
      const res = await patch(user.id, operations);
      expectScimError(res, 400, scimType);
      const after = (await send({ method: 'GET', url: `${users}/${user.id}` })).json();
      expect(after).toEqual(user);
      const records = await recordsOfRequest(res);
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
      const user = await create();
      const res = await send({ method: 'DELETE', url: `${users}/${user.id}` });
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');
      const [record] = await recordsOfRequest(res);
      expect(record).toMatchObject({
        action_name: 'deleteUser',
        result: 'RESPONSE_SUCCESS',
        target_user_id: user.userName,
        target_user_immutable_id: user.id,
      });
      expectScimError(await send({ method: 'GET', url: `${users}/${user.id}` }), 404);
      const again = await send({ method: 'DELETE', url: `${users}/${user.id}` });
      expectScimError(again, 404);
      expect((await recordsOfRequest(again))[0]).toMatchObject({
        action_name: 'deleteUser',
        result: 'RESPONSE_FAILURE',
        return_value: { status: '404' },
      });
    });
  });

  describe('service accounts', () => {
    it("deleting a client's service-account user is 409 and leaves both in place", async () => {
      const [client] = await t.db.query(
        'SELECT service_user_id FROM clients WHERE tenant_id = $1 AND client_id = $2',
        [t.tenant, `${t.tenant}-admin`],
      );
      const res = await send({ method: 'DELETE', url: `${users}/${client.service_user_id}` });
      expectScimError(res, 409);
      expect(res.json().detail).toMatch(/client/);
      expect((await recordsOfRequest(res))[0]).toMatchObject({
        action_name: 'deleteUser',
        result: 'RESPONSE_FAILURE',
        return_value: { status: '409' },
      });
      const still = await send({ method: 'GET', url: `${users}/${client.service_user_id}` });
      expect(still.statusCode).toBe(200);
      expect(still.json()).toMatchObject({
        userName: `${t.tenant}-admin`,
        userType: 'ServiceAccount',
      });
    });
  });

  describe('concurrency', () => {
    it('concurrent creates of one userName: one 201, the others 409, one record', async () => {
      const name = uniqueId('race');
      const cid = uniqueId('race');
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          send({
            method: 'POST',
            url: users,
            correlationId: cid,
            payload: userBody(i % 2 ? name : name.toUpperCase()),
          }),
        ),
      );
      expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409, 409, 409, 409, 409]);
      const records = await t.recordsFor(cid);
      expect(records.filter((r) => r.result === 'RESPONSE_SUCCESS')).toHaveLength(1);
      expect(records.filter((r) => r.result === 'RESPONSE_FAILURE')).toHaveLength(5);
    });

    it('concurrent replaces with the same If-Match: one wins, the other is 412', async () => {
      const user = await create();
      const results = await Promise.all(
        ['first', 'second'].map((displayName) =>
          send({
            method: 'PUT',
            url: `${users}/${user.id}`,
            headers: { 'if-match': 'W/"1"' },
            payload: userBody(user.userName, { displayName }),
          }),
        ),
      );
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 412]);
      const now = await send({ method: 'GET', url: `${users}/${user.id}` });
      expect(now.headers.etag).toBe('W/"2"');
    });
  });

  it('reads are not recorded', async () => {
    const user = await create();
    const reads = [
      await send({ method: 'GET', url: `${users}/${user.id}` }),
      await send({ method: 'GET', url: `${users}?count=1` }),
      await send({ method: 'POST', url: `${users}/.search`, payload: { count: 1 } }),
      await send({ method: 'GET', url: `${users}/00000000-0000-7000-8000-000000000000` }),
    ];
    for (const res of reads) expect(await recordsOfRequest(res)).toEqual([]);
  });

  describe('uniqueness', () => {
    it('userName is unique per tenant regardless of case: 409 uniqueness', async () => {
      const base = uniqueId('Alice');
      await create(base);
      const res = await send({ method: 'POST', url: users, payload: userBody(base.toUpperCase()) });
      expectScimError(res, 409, 'uniqueness');
      expect((await recordsOfRequest(res))[0]).toMatchObject({
        action_name: 'createUser',
        result: 'RESPONSE_FAILURE',
        return_value: { status: '409', error: 'uniqueness' },
      });
    });

    it('renaming onto a taken name is 409 too (PUT and PATCH)', async () => {
      const taken = await create(uniqueId('taken'));
      const user = await create();
      expectScimError(
        await send({
          method: 'PUT',
          url: `${users}/${user.id}`,
          payload: userBody(taken.userName.toUpperCase()),
        }),
        409,
        'uniqueness',
      );
      expectScimError(
        await patch(user.id, [{ op: 'replace', path: 'userName', value: taken.userName }]),
        409,
        'uniqueness',
      );
    });

    it('the same userName may exist in another tenant', async () => {
      const name = uniqueId('shared');
      await create(name);
      const res = await t.request({
        method: 'POST',
        url: `/${t.tenants[1]}/v2/Users`,
        token: await t.adminToken(t.tenants[1]),
        payload: userBody(name),
      });
      expect(res.statusCode).toBe(201);
    });
  });

  describe('ETag and If-Match', () => {
    it('a matching If-Match (weak, strong form or *) lets the change through', async () => {
      const user = await create();
      const put = (ifMatch: string) =>
        send({
          method: 'PUT',
          url: `${users}/${user.id}`,
          headers: { 'if-match': ifMatch },
          payload: userBody(user.userName, { displayName: ifMatch }),
        });
      expect((await put('W/"1"')).headers.etag).toBe('W/"2"');
      expect((await put('"2"')).headers.etag).toBe('W/"3"');
      expect((await put('*')).headers.etag).toBe('W/"4"');
      expect((await put('W/"1", W/"4"')).headers.etag).toBe('W/"5"');
    });

    it('a stale If-Match is 412 on PUT, PATCH and DELETE, and nothing changes', async () => {
      const user = await create();
      await patch(user.id, [{ op: 'replace', path: 'displayName', value: 'v2' }]);
      const stale = { 'if-match': 'W/"1"' };
      expectScimError(
        await send({
          method: 'PUT',
          url: `${users}/${user.id}`,
          headers: stale,
          payload: userBody(user.userName, { displayName: 'lost' }),
        }),
        412,
      );
      expectScimError(
        await patch(user.id, [{ op: 'replace', path: 'displayName', value: 'lost' }], stale),
        412,
      );
      const del = await send({ method: 'DELETE', url: `${users}/${user.id}`, headers: stale });
      expectScimError(del, 412);
      expect((await recordsOfRequest(del))[0]).toMatchObject({
        action_name: 'deleteUser',
        result: 'RESPONSE_FAILURE',
        return_value: { status: '412' },
      });
      const now = await send({ method: 'GET', url: `${users}/${user.id}` });
      expect(now.json().displayName).toBe('v2');
      expect(now.headers.etag).toBe('W/"2"');
    });
  });

  describe('password is write-only', () => {
    const PASSWORD = 'Sup3r-secret-passw0rd!';

    it('is stored as a hash and never returned, recorded or logged', async () => {
      const created = await send({
        method: 'POST',
        url: users,
        payload: userBody(uniqueId('pw'), { password: PASSWORD }),
      });
      expect(created.statusCode).toBe(201);
      const user = created.json();
      const patchRes = await patch(user.id, [
        { op: 'replace', path: 'password', value: `${PASSWORD}2` },
      ]);
      expect(patchRes.statusCode).toBe(200);
      expect((await recordsOfRequest(patchRes))[0].action_parameters).toMatchObject({
        passwordChanged: 'true',
      });
      const responses = [
        created,
        patchRes,
        await send({ method: 'GET', url: `${users}/${user.id}` }),
        await send({ method: 'GET', url: `${users}/${user.id}?attributes=password` }),
        await send({
          method: 'GET',
          url: `${users}?filter=${encodeURIComponent(`id eq "${user.id}"`)}`,
        }),
        await send({
          method: 'POST',
          url: `${users}/.search`,
          payload: { filter: `id eq "${user.id}"` },
        }),
        await send({
          method: 'PUT',
          url: `${users}/${user.id}`,
          payload: userBody(user.userName, { password: PASSWORD }),
        }),
      ];
      for (const res of responses) {
        expect(res.statusCode).toBeLessThan(300);
        expect(res.body).not.toMatch(/password/i);
        expect(res.body).not.toContain(PASSWORD);
      }
      const [row] = await t.db.query('SELECT password_hash, resource FROM users WHERE id = $1', [
        user.id,
      ]);
      expect(row.password_hash).toMatch(/^scrypt:/);
      expect(JSON.stringify(row)).not.toContain(PASSWORD);
      const records = await t.db.query(
        'SELECT * FROM audit_records WHERE target_user_immutable_id = $1',
        [user.id],
      );
      expect(records.length).toBeGreaterThanOrEqual(3);
      expect(JSON.stringify(records)).not.toContain(PASSWORD);
      expect(t.logs.join('\n')).not.toContain(PASSWORD);
    });
  });

  describe('times', () => {
    it("meta.created equals the createUser record's created to the millisecond", async () => {
      const res = await send({ method: 'POST', url: users, payload: userBody(uniqueId()) });
      const user = res.json();
      const [record] = await recordsOfRequest(res);
      const read = await send({ method: 'GET', url: `/${t.tenant}/v2/AuditRecords/${record.id}` });
      expect(read.statusCode).toBe(200);
      expect(read.json().created).toBe(user.meta.created);
      expect(user.meta.created).toMatch(ISO_MS);
      expect(user.meta.lastModified).toBe(user.meta.created);
    });
  });

  describe('list', () => {
    const prefix = uniqueId('list').toLowerCase();
    const names = ['c', 'a', 'e', 'b', 'd'].map((s) => `${prefix}-${s}`);
    const filter = encodeURIComponent(`userName sw "${prefix}"`);
    const list = async (query: string): Promise<Json> => {
      const res = await send({ method: 'GET', url: `${users}?${query}` });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
      return res.json();
    };

    beforeAll(async () => {
      for (const name of names) await create(name, { title: name.endsWith('a') ? 'Lead' : 'Dev' });
    });

    it('returns a ListResponse in creation order by default', async () => {
      const page = await list(`filter=${filter}`);
      expect(page).toMatchObject({
        schemas: [LIST_SCHEMA],
        totalResults: 5,
        startIndex: 1,
        itemsPerPage: 5,
      });
      expect(page.Resources.map((u: Json) => u.userName)).toEqual(names);
    });

    it('pages with startIndex and count', async () => {
      const page = await list(`filter=${filter}&startIndex=2&count=2`);
      expect(page).toMatchObject({ totalResults: 5, startIndex: 2, itemsPerPage: 2 });
      expect(page.Resources.map((u: Json) => u.userName)).toEqual(names.slice(1, 3));
    });

    it('reads startIndex 0 (and below) as 1', async () => {
      for (const startIndex of ['0', '-3']) {
        const page = await list(`filter=${filter}&startIndex=${startIndex}&count=1`);
        expect(page.startIndex).toBe(1);
        expect(page.Resources[0].userName).toBe(names[0]);
      }
    });

    it('count 0 returns only totalResults', async () => {
      const page = await list(`filter=${filter}&count=0`);
      expect(page).toMatchObject({ totalResults: 5, itemsPerPage: 0 });
      expect(page.Resources ?? []).toEqual([]);
    });

    it('sorts with sortBy and sortOrder', async () => {
      const page = await list(`filter=${filter}&sortBy=userName&sortOrder=descending`);
      expect(page.Resources.map((u: Json) => u.userName)).toEqual([...names].sort().reverse());
      const asc = await list(`filter=${filter}&sortBy=USERNAME`);
      expect(asc.Resources.map((u: Json) => u.userName)).toEqual([...names].sort());
    });

    it('filters with the SCIM filter language', async () => {
      const page = await list(
        `filter=${encodeURIComponent(`userName sw "${prefix}" and title eq "lead"`)}`,
      );
      expect(page.Resources.map((u: Json) => u.userName)).toEqual([`${prefix}-a`]);
      const none = await list(`filter=${encodeURIComponent('userName eq "nobody-at-all"')}`);
      expect(none).toMatchObject({ totalResults: 0, itemsPerPage: 0 });
    });

    it('POST .search takes the same parameters in a SearchRequest', async () => {
      const res = await send({
        method: 'POST',
        url: `${users}/.search`,
        payload: {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
          filter: `userName sw "${prefix}"`,
          startIndex: 2,
          count: 1,
          sortBy: 'userName',
          attributes: ['userName'],
        },
      });
      expect(res.statusCode).toBe(200);
      const page = res.json();
      expect(page).toMatchObject({ totalResults: 5, startIndex: 2, itemsPerPage: 1 });
      expect(page.Resources).toEqual([
        { schemas: [USER_SCHEMA], id: expect.any(String), userName: `${prefix}-b` },
      ]);
    });

    it.each([
      ['a broken filter', `filter=${encodeURIComponent('userName eq')}`, 'invalidFilter'],
      [
        'an unknown filter attribute',
        `filter=${encodeURIComponent('shoeSize eq 3')}`,
        'invalidFilter',
      ],
      ['a non-integer count', 'count=ten', 'invalidValue'],
      ['an unknown sortOrder', 'sortBy=userName&sortOrder=sideways', 'invalidValue'],
    ])('%s is 400', async (_label, query, scimType) => {
      expectScimError(await send({ method: 'GET', url: `${users}?${query}` }), 400, scimType);
    });

    it('caps count at 1000 and defaults it to 100', async () => {
      const bulk = uniqueId('bulk').toLowerCase();
      await t.db.query(
        `INSERT INTO users (id, tenant_id, user_name, resource)
         SELECT gen_random_uuid(), $1, $2 || '-' || lpad(i::text, 4, '0'), '{}'::jsonb
         FROM generate_series(1, 1001) AS i`,
        [t.tenant, bulk],
      );
      const bulkFilter = encodeURIComponent(`userName sw "${bulk}"`);
      const capped = await list(`filter=${bulkFilter}&count=5000`);
      expect(capped).toMatchObject({ totalResults: 1001, itemsPerPage: 1000 });
      expect(capped.Resources).toHaveLength(1000);
      const byDefault = await list(`filter=${bulkFilter}`);
      expect(byDefault).toMatchObject({ totalResults: 1001, itemsPerPage: 100 });
    });

    it("never lists another tenant's users", async () => {
      const page = (
        await t.request({
          method: 'GET',
          url: `/${t.tenants[1]}/v2/Users?filter=${filter}`,
          token: await t.adminToken(t.tenants[1]),
        })
      ).json();
      expect(page.totalResults).toBe(0);
    });
  });

  describe('media types', () => {
    it('accepts application/scim+json and application/json, answers application/scim+json', async () => {
      for (const type of ['application/scim+json', 'application/json; charset=utf-8']) {
        const res = await send({
          method: 'POST',
          url: users,
          headers: { 'content-type': type },
          payload: userBody(uniqueId()),
        });
        expect(res.statusCode).toBe(201);
        expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
      }
    });

    it.each(['text/plain', 'application/xml', 'multipart/form-data; boundary=x'])(
      'refuses %s with 415 in the SCIM error format, changing nothing',
      async (type) => {
        const userName = uniqueId('media');
        const res = await send({
          method: 'POST',
          url: users,
          headers: { 'content-type': type },
          payload: JSON.stringify(userBody(userName)),
        });
        expectScimError(res, 415);
        const rows = await t.db.query('SELECT 1 FROM users WHERE user_name = $1', [userName]);
        expect(rows).toHaveLength(0);
      },
    );
  });
});
