import { createUser, user } from '../factories/user';
import { adminClient, bcauthorize } from '../utils/ciba';
import { expectEchoed } from '../utils/http';
import { IMPORT_TEST_ENV, postImport, waitForImport } from '../utils/imports';
import { recordsOfCoi, recordsOfRequest } from '../utils/records';
import { useTestApp } from '../utils/suite';
import { ADMIN_SECRET } from '../utils/test-app';
import { FORM, postToken } from '../utils/token-endpoint';

const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
// Written as JSON escapes, as a client sends them: the parsed string holds the bad code unit.
const NUL = '\\u0000';
const LONE = '\\ud800';

/**
 * What PostgreSQL or the parser cannot take is refused at the edge in the route's format, with
 * the attribute named (docs/reliability.md), and a poisoned import item fails alone.
 */
describe('input the database cannot store', () => {
  const s = useTestApp({ env: IMPORT_TEST_ENV });

  function expectScim400(
    res: { statusCode: number; body: string },
    scimType: string,
    named?: string,
  ) {
    expect(res.statusCode).toBe(400);
    const body = JSON.parse(res.body);
    expect(body).toMatchObject({ schemas: [SCIM_ERROR], status: '400', scimType });
    if (named) expect(body.detail).toContain(named);
  }

  function expectOAuth400(res: { statusCode: number; body: string }, named: string) {
    expect(res.statusCode).toBe(400);
    const body = JSON.parse(res.body);
    expect(body.error).toBe('invalid_request');
    expect(body.error_description).toContain(named);
  }

  const rawUser = (members: string) =>
    `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],${members}}`;

  it.each([
    ['userName', `"userName":"a${NUL}b"`],
    ['userName', `"userName":"a${LONE}b"`],
    ['displayName', `"userName":"dn-nul","displayName":"x${NUL}"`],
    ['externalId', `"userName":"ext-nul","externalId":"${NUL}"`],
    ['name.givenName', `"userName":"gn-lone","name":{"givenName":"${LONE}"}`],
    ['emails[0].value', `"userName":"em-nul","emails":[{"value":"a${NUL}@x"}]`],
  ])('POST /Users refuses %s with the bad character as invalidValue', async (named, members) => {
    const res = await s.send({
      method: 'POST',
      url: s.users,
      correlationId: 'edge-nul-1',
      payload: rawUser(members),
    });
    expectScim400(res, 'invalidValue', named);
    expectEchoed(res, 'edge-nul-1');
    const [record] = await recordsOfRequest(s.t, res);
    expect(record).toMatchObject({ action_name: 'createUser', result: 'RESPONSE_FAILURE' });
  });

  it('refuses a PATCH value and a PUT attribute the same way', async () => {
    const created = await createUser(s.t);
    const patch = await s.send({
      method: 'PATCH',
      url: `${s.users}/${created.id}`,
      payload: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"${LONE}"}]}`,
    });
    expectScim400(patch, 'invalidValue', 'Operations[0].value');
    const put = await s.send({
      method: 'PUT',
      url: `${s.users}/${created.id}`,
      payload: rawUser(`"userName":"${created.userName}","nickName":"${NUL}"`),
    });
    expectScim400(put, 'invalidValue', 'nickName');
  });

  it('refuses a member named like the prototype chain, even inside an unknown attribute', async () => {
    // class-transformer read such a member as the nested object's class: a TypeError, a 500.
    const created = await createUser(s.t);
    for (const name of ['constructor', '__proto__', 'prototype']) {
      const put = await s.send({
        method: 'PUT',
        url: `${s.users}/${created.id}`,
        payload: rawUser(`"userName":"${created.userName}","name":{"x":{"${name}":"a"}}`),
      });
      expectScim400(put, 'invalidValue', `name.x.${name}`);
      const post = await s.send({
        method: 'POST',
        url: s.users,
        payload: rawUser(`"userName":"proto-${name}","name":{"Operations":{"${name}":"a"}}`),
      });
      expectScim400(post, 'invalidValue', `name.Operations.${name}`);
    }
    // At the top level too: `__proto__` was taken as the copy's prototype and vanished.
    const top = await s.send({
      method: 'POST',
      url: s.users,
      payload: rawUser(`"userName":"proto-top","__proto__":{"displayName":"a"}`),
    });
    expectScim400(top, 'invalidValue', '__proto__');
  });

  it('refuses bodies nested deeper than the limit before anything walks them', async () => {
    for (const payload of [
      '{"a":'.repeat(3000) + '1' + '}'.repeat(3000),
      '['.repeat(2000) + ']'.repeat(2000),
    ]) {
      const res = await s.send({ method: 'POST', url: s.users, payload });
      expectScim400(res, 'invalidSyntax', 'deeper than 64');
    }
  });

  it('reads "password": null as unassigned', async () => {
    const res = await s.send({ method: 'POST', url: s.users, payload: user({ password: null }) });
    expect(res.statusCode).toBe(201);
  });

  it('bounds startIndex on lists and searches', async () => {
    const huge = '100000000000000000000';
    const list = await s.send({ method: 'GET', url: `${s.users}?startIndex=${huge}` });
    expectScim400(list, 'invalidValue', 'startIndex');
    const audit = await s.send({
      method: 'GET',
      url: `/${s.t.tenant}/v2/AuditRecords?startIndex=${huge}`,
    });
    expectScim400(audit, 'invalidValue', 'startIndex');
    const search = await s.send({
      method: 'POST',
      url: `/${s.t.tenant}/v2/AuditRecords/.search`,
      payload: `{"startIndex":${huge}}`,
    });
    expectScim400(search, 'invalidValue', 'startIndex');
    const last = await s.send({ method: 'GET', url: `${s.users}?startIndex=2147483647` });
    expect(last.statusCode).toBe(200);
  });

  it('refuses NUL in query parameters and path ids', async () => {
    expectScim400(await s.send({ method: 'GET', url: `${s.users}/%00` }), 'invalidValue', 'id');
    const filter = await s.send({
      method: 'GET',
      url: `${s.users}?filter=userName%20eq%20%22%00%22`,
    });
    expectScim400(filter, 'invalidValue', 'filter');
  });

  it('answers OAuth routes in their format: forms, Basic credentials, registration', async () => {
    const tenant = s.t.tenant;
    expectOAuth400(
      await postToken(s.t, tenant, 'grant_type=client_credentials&client_id=%00&client_secret=x'),
      'client_id',
    );
    const basic = Buffer.from(`a%00:${ADMIN_SECRET}`).toString('base64');
    expectOAuth400(
      await postToken(s.t, tenant, 'grant_type=client_credentials', {
        authorization: `Basic ${basic}`,
      }),
      'client_id',
    );
    expectOAuth400(
      await bcauthorize(
        s.t,
        { scope: 'openid', login_hint: '\u0000' },
        { client: adminClient(s.t) },
      ),
      'login_hint',
    );
    const register = await s.send({
      method: 'POST',
      url: `/${tenant}/authn/register`,
      headers: { 'content-type': 'application/json' },
      payload: `{"client_name":"x${NUL}"}`,
    });
    expectOAuth400(register, 'client_name');
    const form = await s.t.request({
      method: 'POST',
      url: `/${tenant}/authn/token`,
      headers: { 'content-type': FORM },
      payload: 'grant_type=client_credentials&scope=%ED%A0%80',
    });
    expect(form.statusCode).toBeLessThan(500);
  });

  describe('a poisoned import item fails alone (API.md §8)', () => {
    async function run(resource: 'Users' | 'Devices', payload: string) {
      const res = await postImport(s.t, resource, payload);
      expect(res.statusCode).toBe(201);
      const status = await waitForImport(s.t, res.headers.location as string);
      return { status, coi: res.json().correlationId as string };
    }

    it.each([
      ['NUL in a userName', 'userName', `{"userName":"bad${NUL}"}`],
      [
        'a lone surrogate in a name',
        'name.givenName',
        `{"userName":"lone","name":{"givenName":"${LONE}"}}`,
      ],
      [
        'a member named constructor',
        'name.x.constructor',
        `{"userName":"proto","name":{"x":{"constructor":"a"}}}`,
      ],
    ])('users: %s', async (_what, named, bad) => {
      const tag = Math.random().toString(36).slice(2, 8);
      const { status, coi } = await run(
        'Users',
        `{"users":[{"userName":"ok1-${tag}"},${bad},{"userName":"ok2-${tag}"}]}`,
      );
      expect(status).toMatchObject({
        status: 'completed',
        importSize: 3,
        nbImported: 2,
        nbFailed: 1,
      });
      expect(status.errors).toEqual([
        expect.objectContaining({ index: 1, status: '400', scimType: 'invalidValue' }),
      ]);
      expect(status.errors[0].detail).toContain(named);
      const failures = (await recordsOfCoi(s.t, coi)).filter(
        (r) => r.action_name === 'createUser' && r.result === 'RESPONSE_FAILURE',
      );
      expect(failures).toHaveLength(1);
    });

    it('devices: NUL in a serialNumber', async () => {
      const tag = Math.random().toString(36).slice(2, 8);
      const { status, coi } = await run(
        'Devices',
        `{"devices":[{"serialNumber":"A-${tag}","type":"TOKEN"},{"serialNumber":"B${NUL}","type":"TOKEN"},{"serialNumber":"C-${tag}","type":"TOKEN"}]}`,
      );
      expect(status).toMatchObject({ status: 'completed', nbImported: 2, nbFailed: 1 });
      expect(status.errors[0]).toMatchObject({ index: 1, serialNumber: 'B\ufffd' });
      const failures = (await recordsOfCoi(s.t, coi)).filter(
        (r) => r.action_name === 'addDevice' && r.result === 'RESPONSE_FAILURE',
      );
      expect(failures).toHaveLength(1);
    });
  });
});
