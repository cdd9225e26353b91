import { createUser, userBody } from '../factories/user';
import { IMPORT_TEST_ENV, postImport, waitForImport } from '../utils/imports';
import { expectScimError, patchUser } from '../utils/scim';
import { useTestApp } from '../utils/suite';
import { TestApp, uniqueId, USER_SCHEMA } from '../utils/test-app';

type Json = Record<string, any>;

const SEARCH_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
const DEVICE = 'urn:hid:scim:api:idp:2.0:Device';
const AUDIT_RECORD = 'urn:hid:scim:api:idp:2.0:AuditRecord';

describe('SCIM filters, PATCH remove and the root search (RFC 7644 §3.4, §3.5.2)', () => {
  const s = useTestApp({ env: IMPORT_TEST_ENV });
  let t: TestApp;
  const run = uniqueId('f').replace(/-/g, '');
  const userNames = (res: { json(): any }): string[] =>
    res.json().Resources.map((r: Json) => r.userName);
  const listUsers = (filter: string) =>
    s.send({ method: 'GET', url: `${s.users}?filter=${encodeURIComponent(filter)}` });

  beforeAll(async () => {
    t = s.t;
    await createUser(t, { userName: `${run}named`, name: { givenName: 'Ann' } });
    await createUser(t, { userName: `${run}plain` });
    const imported = await postImport(t, 'Devices', {
      devices: [{ serialNumber: `${run}-dsn`, type: 'phone', owner: { userName: `${run}named` } }],
    });
    expect(imported.statusCode).toBe(201);
    expect((await waitForImport(t, imported.headers.location as string)).nbImported).toBe(1);
  });

  describe('filters RFC 7644 allows', () => {
    it.each([
      [`${USER_SCHEMA}:userName eq "${run}named"`, [`${run}named`]],
      [`urn:ietf:params:scim:schemas:core:2.0:user:USERNAME sw "${run}p"`, [`${run}plain`]],
      [`${USER_SCHEMA}:name.givenName eq "ann" and userName sw "${run}"`, [`${run}named`]],
      [`userName sw "${run}" and name pr`, [`${run}named`]],
      [`userName sw "${run}" and not (name pr)`, [`${run}plain`]],
      [`userName sw "${run}" and schemas eq "${USER_SCHEMA}"`, [`${run}named`, `${run}plain`]],
      [`userName sw "${run}" and schemas eq "${DEVICE}"`, []],
    ])('%s', async (filter, expected) => {
      const res = await listUsers(filter);
      expect(res.statusCode).toBe(200);
      expect(userNames(res).sort()).toEqual(expected);
    });

    it('refuses another schema URN, and an empty filter, with 400 invalidFilter', async () => {
      const other = await listUsers(`${DEVICE}:userName eq "x"`);
      expectScimError(other, 400, 'invalidFilter');
      expect(other.json().detail).toMatch(/unknown schema/);
      expectScimError(
        await s.send({ method: 'GET', url: `${s.users}?filter=` }),
        400,
        'invalidFilter',
      );
      const body = { schemas: [SEARCH_REQUEST], filter: ' ' };
      for (const url of [`${s.users}/.search`, `/${t.tenant}/v2/AuditRecords/.search`]) {
        expectScimError(await s.send({ method: 'POST', url, payload: body }), 400, 'invalidFilter');
      }
    });

    it('filters devices and audit records on schemas and URN-qualified names', async () => {
      const devices = await s.send({
        method: 'GET',
        url: `/${t.tenant}/v2/Devices?filter=${encodeURIComponent(
          `schemas eq "${DEVICE}" and ${DEVICE}:serialNumber eq "${run}-dsn" and owner pr`,
        )}`,
      });
      expect(devices.json().Resources.map((d: Json) => d.serialNumber)).toEqual([`${run}-dsn`]);
      const records = await s.send({
        method: 'POST',
        url: `/${t.tenant}/v2/AuditRecords/.search`,
        payload: {
          filter: `${AUDIT_RECORD}:action.actionName eq "addDevice" and targetUserId pr`,
          count: 0,
        },
      });
      expect(records.statusCode).toBe(200);
    });
  });

  describe('PATCH remove of active', () => {
    it('leaves it unassigned: not re-activated, not rendered, not active', async () => {
      const user = await createUser(t, { userName: `${run}gone`, active: false });
      const res = await patchUser(s, user.id, [{ op: 'remove', path: 'active' }]);
      expect(res.statusCode).toBe(200);
      expect(res.json()).not.toHaveProperty('active');
      const read = await s.send({ method: 'GET', url: `${s.users}/${user.id}` });
      expect(read.json()).not.toHaveProperty('active');
      const filtered = async (f: string) =>
        userNames(await listUsers(`userName eq "${run}gone" and ${f}`));
      expect(await filtered('active eq true')).toEqual([]);
      expect(await filtered('active eq false')).toEqual([]);
      expect(await filtered('not (active pr)')).toEqual([`${run}gone`]);
      // A later replace or add assigns it again.
      const again = await patchUser(s, user.id, [{ op: 'add', path: 'active', value: true }]);
      expect(again.json().active).toBe(true);
    });

    it('PUT without active gives the default, as a create does', async () => {
      const user = await createUser(t, { userName: `${run}put`, active: false });
      const res = await s.send({
        method: 'PUT',
        url: `${s.users}/${user.id}`,
        payload: userBody(`${run}put`),
      });
      expect(res.json().active).toBe(true);
    });
  });

  describe('root search POST /{tenant}/v2/.search', () => {
    const root = (payload: Json, token?: string) =>
      s.send({
        method: 'POST',
        url: `/${t.tenant}/v2/.search`,
        payload,
        ...(token ? { token } : {}),
      });

    it('searches every type the token may read, skipping types the filter does not fit', async () => {
      const res = await root({ schemas: [SEARCH_REQUEST], filter: `userName sw "${run}"` });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ totalResults: 4, startIndex: 1, itemsPerPage: 4 });
      const devices = await root({ filter: `serialNumber eq "${run}-dsn"` });
      expect(devices.json().Resources).toEqual([
        expect.objectContaining({ schemas: [DEVICE], serialNumber: `${run}-dsn` }),
      ]);
    });

    it('pages across types and projects attributes', async () => {
      const filter = `userName sw "${run}" or serialNumber eq "${run}-dsn"`;
      // No single type knows both attributes: refused as a whole.
      expectScimError(await root({ filter }), 400, 'invalidFilter');
      // Without audit:read, so the search's own record does not change the count.
      const token = await t.adminToken(t.tenant, 'users:read devices:read');
      const all = await root({ filter: `schemas pr`, count: 0 }, token);
      const total = all.json().totalResults;
      expect(total).toBeGreaterThan(3);
      const page = await root(
        { filter: 'schemas pr', startIndex: total - 1, count: 5, attributes: ['id'] },
        token,
      );
      expect(page.json()).toMatchObject({ totalResults: total, itemsPerPage: 2 });
      // The last two are the user made last and the device (types come in /ResourceTypes order).
      expect(page.json().Resources[1].schemas).toEqual([DEVICE]);
      expect(Object.keys(page.json().Resources[0]).sort()).toEqual(['id', 'schemas']);
    });

    it('reads only what the scopes allow, and refuses sortBy and cursor', async () => {
      const narrow = await t.adminToken(t.tenant, 'devices:read');
      const res = await root({ filter: 'schemas pr' }, narrow);
      expect(res.json().Resources.every((r: Json) => r.schemas[0] === DEVICE)).toBe(true);
      const none = await t.adminToken(t.tenant, 'clients:read');
      const nothing = await root({ filter: 'schemas pr' }, none);
      expect(nothing.json()).toMatchObject({ totalResults: 0, Resources: [] });
      expectScimError(await root({ filter: 'schemas pr', sortBy: 'id' }), 400, 'invalidValue');
      expectScimError(await root({ filter: 'schemas pr', cursor: '' }), 400, 'invalidValue');
    });
  });
});
