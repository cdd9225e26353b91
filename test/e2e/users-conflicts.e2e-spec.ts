import { createUser, userBody } from '../factories/user';
import { recordsOfRequest } from '../utils/records';
import { expectScimError, patchUser } from '../utils/scim';
import { useTestApp } from '../utils/suite';
import { TestApp, uniqueId } from '../utils/test-app';

describe('SCIM Users (API.md §1, §7)', () => {
  const s = useTestApp({ tenants: 2 });
  const { send } = s;
  let t: TestApp;
  let users: string;
  beforeAll(() => ({ t, users } = s));

  describe('service accounts', () => {
    it("deleting a client's service-account user is 409 and leaves both in place", async () => {
      const [client] = await t.db.query(
        'SELECT service_user_id FROM clients WHERE tenant_id = $1 AND client_id = $2',
        [t.tenant, `${t.tenant}-admin`],
      );
      const res = await send({ method: 'DELETE', url: `${users}/${client.service_user_id}` });
      expectScimError(res, 409);
      expect(res.json().detail).toMatch(/client/);
      expect((await recordsOfRequest(t, res))[0]).toMatchObject({
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
      const user = await createUser(t);
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
    const user = await createUser(t);
    const reads = [
      await send({ method: 'GET', url: `${users}/${user.id}` }),
      await send({ method: 'GET', url: `${users}?count=1` }),
      await send({ method: 'POST', url: `${users}/.search`, payload: { count: 1 } }),
      await send({ method: 'GET', url: `${users}/00000000-0000-7000-8000-000000000000` }),
    ];
    for (const res of reads) expect(await recordsOfRequest(t, res)).toEqual([]);
  });

  describe('uniqueness', () => {
    it('userName is unique per tenant regardless of case: 409 uniqueness', async () => {
      const base = uniqueId('Alice');
      await createUser(t, { userName: base });
      const res = await send({ method: 'POST', url: users, payload: userBody(base.toUpperCase()) });
      expectScimError(res, 409, 'uniqueness');
      expect((await recordsOfRequest(t, res))[0]).toMatchObject({
        action_name: 'createUser',
        result: 'RESPONSE_FAILURE',
        return_value: { status: '409', error: 'uniqueness' },
      });
    });

    it('renaming onto a taken name is 409 too (PUT and PATCH)', async () => {
      const taken = await createUser(t, { userName: uniqueId('taken') });
      const user = await createUser(t);
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
        await patchUser(s, user.id, [{ op: 'replace', path: 'userName', value: taken.userName }]),
        409,
        'uniqueness',
      );
    });

    it('the same userName may exist in another tenant', async () => {
      const name = uniqueId('shared');
      await createUser(t, { userName: name });
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
      const user = await createUser(t);
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
      const user = await createUser(t);
      await patchUser(s, user.id, [{ op: 'replace', path: 'displayName', value: 'v2' }]);
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
        await patchUser(s, user.id, [{ op: 'replace', path: 'displayName', value: 'lost' }], stale),
        412,
      );
      const del = await send({ method: 'DELETE', url: `${users}/${user.id}`, headers: stale });
      expectScimError(del, 412);
      expect((await recordsOfRequest(t, del))[0]).toMatchObject({
        action_name: 'deleteUser',
        result: 'RESPONSE_FAILURE',
        return_value: { status: '412' },
      });
      const now = await send({ method: 'GET', url: `${users}/${user.id}` });
      expect(now.json().displayName).toBe('v2');
      expect(now.headers.etag).toBe('W/"2"');
    });
  });
});
