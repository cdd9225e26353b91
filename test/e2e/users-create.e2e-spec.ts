import { createUser, userBody } from '../factories/user';
import { ISO_MS } from '../utils/http';
import { recordsOfRequest } from '../utils/records';
import { expectScimError, patchUser } from '../utils/scim';
import { useTestApp } from '../utils/suite';
import { createTestApp, TestApp, uniqueId, USER_SCHEMA } from '../utils/test-app';

type Json = Record<string, any>;

describe('SCIM Users (API.md §1, §7)', () => {
  const s = useTestApp({ tenants: 2 });
  const { send } = s;
  let t: TestApp;
  let users: string;
  beforeAll(() => ({ t, users } = s));

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
      const records = await recordsOfRequest(t, res);
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
      const records = await recordsOfRequest(t, res);
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
      await createUser(t, { userName: 'u'.repeat(255) + 'a' });
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
      await createUser(t, build('s'.repeat(1024)));
      const res = await send({
        method: 'POST',
        url: users,
        payload: userBody(uniqueId(), build('s'.repeat(1025))),
      });
      expectScimError(res, 400, 'invalidValue');
      expect(res.json().detail).toContain(label);
    });

    it('a PATCH cannot go beyond them either', async () => {
      const { id } = await createUser(t);
      expectScimError(
        await patchUser(s, id, [{ op: 'replace', path: 'displayName', value: 'd'.repeat(1025) }]),
        400,
        'invalidValue',
      );
      expectScimError(
        await patchUser(s, id, [{ op: 'replace', path: 'userName', value: 'n'.repeat(257) }]),
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
      const patchRes = await patchUser(s, user.id, [
        { op: 'replace', path: 'password', value: `${PASSWORD}2` },
      ]);
      expect(patchRes.statusCode).toBe(200);
      expect((await recordsOfRequest(t, patchRes))[0].action_parameters).toMatchObject({
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
});
